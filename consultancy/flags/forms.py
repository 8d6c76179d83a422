"""The two things people do with a flag on its page: acknowledge it, or snooze it."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from consultancy.security.validators import CHILDREN_NOTICE
from consultancy.web.forms import Form, sensible_date

COMMENT_MAX = 2000


class AcknowledgeForm(Form):
    comment = TextAreaField(_l("What is being done about it?"), validators=[
        DataRequired(_l("Say what is being done about it.")), Length(max=COMMENT_MAX)],
        description=CHILDREN_NOTICE)
    submit = SubmitField(_l("Acknowledge"))


class SnoozeForm(Form):
    until = DateField(_l("Snooze until"), validators=[
        InputRequired(_l("Enter the date.")), sensible_date],
        description=_l("The flag is hidden until this day and comes back then if it still "
                       "holds (at most 90 days)."))
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=COMMENT_MAX)],
                            description=CHILDREN_NOTICE)
    submit = SubmitField(_l("Snooze"))
