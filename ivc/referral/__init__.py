"""Referrals and hand-offs between the services of the network, and the person's timeline across them."""
