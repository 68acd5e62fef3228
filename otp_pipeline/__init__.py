"""otp-pipeline: monthly OTP feeds (Pôle emploi AIS, I-Milo) to published regional aggregates."""

from otp_pipeline.lib.process_exit import leave_objects_to_the_os

__version__ = "0.1.0"

leave_objects_to_the_os()
