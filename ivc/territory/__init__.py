"""Territories (ASL districts) as data with validity dates: a case keeps the territory it had."""
