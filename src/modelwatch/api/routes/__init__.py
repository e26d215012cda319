"""One router per resource; each route calls one service function."""
