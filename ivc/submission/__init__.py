"""Form submissions carried out once: a double click, a resent request or a rerun of the same form
lands one record, whatever the interface."""
