from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/manage/resources")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return "placeholder"
