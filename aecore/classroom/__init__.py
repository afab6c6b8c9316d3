"""Class mode without accounts: the class store (SQLAlchemy), the board, polls and their figures. No streamlit."""

from aecore.classroom.store import (BadInput, BoardPoint, ClassroomError, ClassStore, Follow, Member, NewClass,
                                    NicknameTaken, NotTeacher, Poll, RateLimited, UnknownClass, default_store)

__all__ = ["BadInput", "BoardPoint", "ClassroomError", "ClassStore", "Follow", "Member", "NewClass", "NicknameTaken",
           "NotTeacher", "Poll", "RateLimited", "UnknownClass", "default_store"]
