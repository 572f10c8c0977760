"""ALFA's room: the validation and certification queue; assessment, decisions, four eyes, exam."""
