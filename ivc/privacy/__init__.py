"""GDPR operations: export of everything held about a person, erasure (with the register
minimum kept and reported), and the retention rules the scheduled flow applies."""
