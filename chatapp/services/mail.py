"""Email (optional): "forgot password" mails a one-time reset link over SMTP.

Mail is on when ``MAIL_SERVER`` is set; ``config.check_mail`` then insists on ``PUBLIC_URL``,
the start of every link in a mail (the request's Host header is the client's choice, so a
link built from it could point anywhere). Messages are made with ``email.message`` and sent
with ``smtplib``; both go through the socket and ssl modules, which gevent's monkey patching
makes cooperative.

A request is answered the same way whether or not an account matched, so the answer tells
nobody which names and addresses exist. For the same reason the SMTP conversation runs after
the answer, in a background thread (a greenlet under gevent): the time of the answer does not
tell either. A delivery that fails is logged as a warning, never with the link.
"""

import logging
import smtplib
import ssl
import threading
import unicodedata
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .. import rate_limits
from ..errors import NotFound, RateLimited
from ..extensions import db
from ..i18n import DEFAULT
from ..models import User
from . import accounts, password_reset

log = logging.getLogger(__name__)

_SMTP_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_SECURITY", "MAIL_USERNAME", "MAIL_PASSWORD",
                  "MAIL_TIMEOUT")


def enabled() -> bool:
    """Whether this server sends mail (``MAIL_SERVER`` is set)."""
    return bool(current_app.config["MAIL_SERVER"])


def require_enabled() -> None:
    """Raise ``NotFound`` (``mail_disabled``) when this server sends no mail."""
    if not enabled():
        raise NotFound("This server does not send email.", code="mail_disabled")


def public_url(endpoint: str, **values) -> str:
    """An absolute link to ``endpoint`` under ``PUBLIC_URL``, whatever the current request."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send_password_reset(name_or_email: str) -> threading.Thread | None:
    """Mail a reset link to every active account with an email address that has this user
    name or this email address, in its owner's language. The delivery runs in the
    background; it is returned (tests wait for it), or ``None`` when no mail goes out."""
    require_enabled()
    messages = []
    for user in _accounts_matching(name_or_email):
        try:
            # Per recipient, whoever asks: nobody can fill an inbox from many addresses.
            rate_limits.spend(user.user_id, "reset_mail")
        except RateLimited:
            log.info("No reset mail for user %s: their mail limit is reached.", user.user_id)
            continue
        messages.append((user.user_id, _reset_mail(user)))
    if not messages:
        return None
    settings = {name: current_app.config[name] for name in _SMTP_SETTINGS}
    thread = threading.Thread(target=_deliver, args=(settings, messages), name="reset-mail",
                              daemon=True)
    thread.start()
    return thread


def _accounts_matching(name_or_email: str) -> list[User]:
    text = unicodedata.normalize("NFKC", name_or_email or "").strip()
    if "@" in text:  # user names never contain @
        users = db.session.scalars(select(User).where(or_(
            User.user_email == text, func.lower(User.user_email) == text.lower())))
    else:
        users = [accounts.find_user_by_name(text)] if text else []
    return [user for user in users if user and user.is_active and user.user_email]


def _reset_mail(user: User) -> EmailMessage:
    link = public_url("auth.reset_password", token=password_reset.reset_token_for(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname
    # The owner's chosen language; one who follows the browser gets the asking browser's.
    with force_locale(user.locale or str(get_locale() or DEFAULT)):
        subject = _("Set a new chatapp password")
        body = "\n\n".join([
            _("Hello %(name)s,", name=user.user_name),
            _("someone asked to set a new password for your chatapp account %(name)s. To "
              "choose one, open this link within %(minutes)s minutes:",
              name=user.user_name, minutes=minutes),
            link,
            _("The link works once. If you did not ask, ignore this mail: your password stays "
              "as it is."),
        ])
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"] or f"chatapp@{host}"
    message["To"] = user.user_email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=host)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body + "\n")
    return message


def _deliver(settings: dict, messages: list[tuple[int, EmailMessage]]) -> None:
    """Send the messages over one SMTP connection; a failure is logged, never raised."""
    user_ids = ", ".join(str(user_id) for user_id, _message in messages)
    try:
        _send_all(settings, [message for _user_id, message in messages])
    except (smtplib.SMTPException, OSError) as error:
        log.warning("Password-reset mail for user %s could not be sent through %s:%s: %s",
                    user_ids, settings["MAIL_SERVER"], settings["MAIL_PORT"], error)
    except Exception:
        log.exception("Password-reset mail for user %s failed", user_ids)
    else:
        log.info("Password-reset mail sent for user %s.", user_ids)


def _send_all(settings: dict, messages: list[EmailMessage]) -> None:
    security = settings["MAIL_SECURITY"]
    host, port, timeout = settings["MAIL_SERVER"], settings["MAIL_PORT"], settings["MAIL_TIMEOUT"]
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings["MAIL_USERNAME"]:
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
        for message in messages:
            smtp.send_message(message)
