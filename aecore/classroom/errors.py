"""Class-mode refusals: each carries a message for the user (what happened, what to do next).

Kept apart from the store so the app can name them without importing SQLAlchemy at start-up.
"""


class ClassroomError(Exception):
    """A refusal with a message for the user (what happened, what to do next)."""


class NotTeacher(ClassroomError):
    pass


class UnknownClass(ClassroomError):
    pass


class NicknameTaken(ClassroomError):
    pass


class RateLimited(ClassroomError):
    pass


class BadInput(ClassroomError):
    pass


NOT_TEACHER = ("Only the teacher of this class can do this. Open the teacher's link (it holds the teacher "
               "key) on the teacher's computer; students cannot steer the class.")
NO_CLASS = ("No class has this code. Check the code on the teacher's screen (6 letters and digits) and try "
            "again.")
