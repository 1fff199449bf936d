from flask import Blueprint

bp = Blueprint("site", __name__, url_prefix="/manage/site")


@bp.get("/")
def settings():  # type: ignore[no-untyped-def]
    return "placeholder"


@bp.get("/audit")
def audit():  # type: ignore[no-untyped-def]
    return "placeholder"
