"""otp-pipeline: monthly OTP feeds (Pôle emploi AIS, I-Milo) to published regional aggregates."""

__version__ = "0.1.0"
