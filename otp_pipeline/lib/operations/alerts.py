"""The alert path shared by failed runs and missed publication deadlines: log, then webhook.

One line of text per alert, `otp-pipeline: <what happened>`, always written as an error to
the `otp_pipeline.alerts` logger (and to the caller's Dagster log when given), then posted as
JSON `{"text": …}` (Slack/Mattermost-compatible) to `$OTP_ALERT_WEBHOOK_URL` when that
variable is set. A webhook that cannot be reached raises after the alert is logged: the
sensor's tick fails and the daemon tries it again, so an alert is delivered at least once.
"""

import json
import logging
import os
import urllib.request

ALERT_LOGGER = "otp_pipeline.alerts"
WEBHOOK_VARIABLE = "OTP_ALERT_WEBHOOK_URL"
ALERT_PREFIX = "otp-pipeline: "
WEBHOOK_TIMEOUT_SECONDS = 10


def send_alert(text: str, log: logging.Logger | logging.LoggerAdapter | None = None) -> None:
    """Log `text` as an error (on `otp_pipeline.alerts`, and on `log`, e.g. `context.log`),
    then post it to `$OTP_ALERT_WEBHOOK_URL` when set (read at each alert, never at import)."""
    logging.getLogger(ALERT_LOGGER).error(text)
    if log is not None:
        log.error(text)
    url = os.environ.get(WEBHOOK_VARIABLE)
    if url:
        body = json.dumps({"text": text}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):
            pass
