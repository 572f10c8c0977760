"""The public room: sign-in and the check of a document anyone can make (the QR code's link)."""
