from flask import Blueprint

bp = Blueprint("qualifications", __name__, url_prefix="/manage/qualifications")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return "placeholder"
