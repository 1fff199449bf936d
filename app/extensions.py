"""Extensions, created unbound; `create_app` binds them."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models import Base

# Our models subclass our own `Base`; Flask-SQLAlchemy only needs its metadata.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# get_remote_address reads request.remote_addr, which ProxyFix has already
# replaced with the real client address when INCUBATOR_PROXY_HOPS is set.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
