"""Accounts: registration, log-in, passwords, profile and avatar, administration."""

import re
import unicodedata
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import write_transaction
from ..errors import (
    ChatappError,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidFields,
    NotFound,
    ValidationError,
)
from ..extensions import db
from ..files import images, storage
from ..models import USER_EMAIL_MAX, USER_NAME_MAX, User, now
from ..names import name_skeleton
from . import connections

USER_NAME_MIN = 3
PASSWORD_MAX = 1024
# Letters and digits of any script, plus . _ - inside the name.
_USER_NAME_RE = re.compile(r"^[^\W_](?:[\w.\-]*[^\W_])?$")
# The part of an email address before the @: letters and digits of any script, and . _ + -.
_EMAIL_LOCAL_RE = re.compile(r"^[\w.+\-]+$")


def normalize_user_name(raw: str) -> tuple[str, str]:
    """Return (display name, lookup key) for a user name, or raise ``ValidationError``."""
    name = unicodedata.normalize("NFKC", raw or "").strip()
    if not USER_NAME_MIN <= len(name) <= USER_NAME_MAX:
        raise ValidationError(
            f"A user name has {USER_NAME_MIN} to {USER_NAME_MAX} characters.",
            code="invalid_user_name",
            field="user_name",
        )
    if not _USER_NAME_RE.match(name):
        raise ValidationError(
            "A user name has letters and digits, with . _ - allowed inside.",
            code="invalid_user_name",
            field="user_name",
        )
    return name, name.casefold()


def find_user_by_name(raw: str) -> User | None:
    """The user with this name, compared without case; ``None`` if there is none."""
    key = unicodedata.normalize("NFKC", raw or "").strip().casefold()
    return db.session.scalar(select(User).where(User.user_name_key == key))


def _check_password_rules(password: str, field: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationError(f"A password has at least {minimum} characters.",
                              code="weak_password", field=field, details={"min": minimum})
    if len(password) > PASSWORD_MAX:
        raise ValidationError(
            f"A password has at most {PASSWORD_MAX} characters.", code="invalid_password",
            field=field,
        )


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("chatapp-no-such-user", method=method)


def _normalize_email(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), code="invalid_email", field="email") from None
    if not _EMAIL_LOCAL_RE.match(checked.local_part):
        # RFC 5322 allows quotes, backticks, braces and = before the @; real mailboxes do not
        # need them, and they only help someone smuggle markup or template syntax.
        raise ValidationError("Use letters, digits and . _ + - before the @.",
                              code="invalid_email", field="email")
    email = checked.normalized
    if len(email) > USER_EMAIL_MAX:
        raise ValidationError(
            f"An email address has at most {USER_EMAIL_MAX} characters.",
            code="invalid_email",
            field="email",
        )
    return email


def check_new_account(user_name: str, password: str,
                      email: str | None = None) -> tuple[str, str, str | None]:
    """The display name, lookup key and normalized email of a new account; every rule the
    input breaks is raised at once (``InvalidFields``), not the first one only."""
    errors: list[ChatappError] = []

    def check(rule, *args):
        try:
            return rule(*args)
        except ChatappError as error:
            errors.append(error)
            return None

    named = check(normalize_user_name, user_name)
    if named:
        check(_check_name_free, named[1])
    check(_check_password_rules, password)
    email = check(_normalize_email, email)
    if errors:
        raise InvalidFields.all_of(errors)
    return *named, email


def _taken() -> Conflict:
    return Conflict("That user name is taken.", code="user_name_taken", field="user_name")


def _check_name_free(key: str) -> str:
    """Raise when the name, or one that looks like it, is someone's; return its skeleton."""
    skeleton = name_skeleton(key)
    if db.session.scalar(select(User.user_id).where(User.user_name_key == key)):
        raise _taken()
    if db.session.scalar(select(User.user_id).where(User.user_name_skeleton == skeleton)):
        raise _looks_taken()
    return skeleton


def register_user(user_name: str, password: str, email: str | None = None) -> User:
    """Create an account; the name must be free (ignoring case). Every rule the input breaks
    is reported at once."""
    name, key, email = check_new_account(user_name, password, email)
    password_hash = _hash(password)  # slow on purpose: done before taking the write lock
    try:
        with write_transaction():
            # Again under the write lock: the name may have been taken since it was checked.
            skeleton = _check_name_free(key)
            # The first account of an empty server administers it (FIRST_USER_ADMIN).
            first = (current_app.config["FIRST_USER_ADMIN"]
                     and db.session.scalar(select(User.user_id).limit(1)) is None)
            user = User(
                user_name=name,
                user_name_key=key,
                user_name_skeleton=skeleton,
                password=password_hash,
                user_email=email,
                register_time=now(),
                is_admin=first,
            )
            db.session.add(user)
    except IntegrityError:
        # Two people took the same or a look-alike name at once (PostgreSQL): the unique
        # indexes decided.
        raise _taken() from None
    return user


def _looks_taken() -> Conflict:
    return Conflict("That user name looks like someone else's (letters from another "
                    "alphabet, or 1 for l). Choose another.", code="user_name_confusable",
                    field="user_name")


def authenticate(user_name: str, password: str) -> User:
    """Check a user name and password; the same error whether the name exists or not."""
    user = find_user_by_name(user_name)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal the name exists.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        raise InvalidCredentials()
    if not check_password_hash(user.password, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise Forbidden("This account is disabled.", code="account_disabled")
    return user


def record_login(user: User) -> None:
    """Note the time of a successful log-in (spec: login_time)."""
    with write_transaction():
        db.session.execute(
            update(User).where(User.user_id == user.user_id).values(login_time=now())
        )


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` (log out everywhere); their open
    sockets are cut."""
    with write_transaction():
        _bump_session_version(user)
    connections.end_revoked_sockets(user.user_id)


def _bump_session_version(user: User) -> None:
    db.session.execute(
        update(User)
        .where(User.user_id == user.user_id)
        .values(session_version=User.session_version + 1)
    )


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Replace the password after checking the current one; other sessions end."""
    if not check_password_hash(user.password, current_password):
        raise ValidationError(
            "The current password is wrong.", code="wrong_password", field="current_password"
        )
    return replace_password(user, new_password)


def replace_password(user: User, new_password: str) -> User:
    """Store a new password and end every session made with the old one."""
    _check_password_rules(new_password, field="new_password")
    password_hash = _hash(new_password)
    with write_transaction():
        user.password = password_hash
        _bump_session_version(user)
    connections.end_revoked_sockets(user.user_id)
    return user


def update_profile(user: User, email: str | None) -> User:
    """Set or clear the email address."""
    email = _normalize_email(email)
    with write_transaction():
        user.user_email = email
    return user


def set_locale(user: User, locale: str | None) -> User:
    """Choose the language of the pages; ``None`` follows the browser."""
    from ..i18n import LANGUAGES

    if locale is not None and locale not in LANGUAGES:
        raise ValidationError(f"The language is one of {', '.join(LANGUAGES)}.",
                              code="invalid_locale", field="locale")
    with write_transaction():
        user.locale = locale
    return user


def set_avatar(user: User, stream) -> User:
    """Store an uploaded image as the user's avatar: decoded, squared, saved as PNG."""
    config = current_app.config
    data = storage.read_limited(stream, config["AVATAR_MAX_BYTES"], code="avatar_too_large")
    png = images.square_png(
        images.open_image(data, config["IMAGE_MAX_PIXELS"]), config["AVATAR_SIZE"]
    )
    name = storage.new_name("avatars", ".png")
    storage.save_bytes(name, png)
    old = user.user_icon
    try:
        with write_transaction():
            user.user_icon = name
    except BaseException:
        storage.remove(name)
        raise
    storage.remove(old)
    return user


def remove_avatar(user: User) -> User:
    """Go back to the default avatar."""
    old = user.user_icon
    with write_transaction():
        user.user_icon = None
    storage.remove(old)
    return user


def set_user_active(user_name: str, active: bool) -> User:
    """Administration: enable or disable an account by name; disabling ends its sessions."""
    return set_active(account_named(user_name), active)


def set_active(user: User, active: bool) -> User:
    """Administration: enable or disable ``user``; disabling ends their sessions and cuts
    their open sockets on every server process."""
    with write_transaction():
        user.is_active = active
        if not active:
            _bump_session_version(user)
    if not active:
        connections.end_revoked_sockets(user.user_id)
    return user


def set_site_admin(user_name: str, admin: bool) -> User:
    """Administration: make an account a site administrator, or no longer one."""
    user = account_named(user_name)
    with write_transaction():
        user.is_admin = admin
    return user


def account_named(user_name: str) -> User:
    """An account by name (ignoring case) that is not deleted, or ``user_not_found``."""
    user = find_user_by_name(user_name)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.", code="user_not_found")
    return user
