"""Qualification frameworks: the regional repertory (with Atlante ADA, CP ISTAT, ATECO
references) that validation and certification refer to, and ESCO for identification and matching."""
