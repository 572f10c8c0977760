"""Users, roles and the actor that every service call is made by."""
