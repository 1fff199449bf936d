from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/manage/members")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return "placeholder"
