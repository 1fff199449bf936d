from flask import Blueprint

bp = Blueprint("badges", __name__, url_prefix="/manage/badges")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return "placeholder"
