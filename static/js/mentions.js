// Mentions: @ and # autocomplete in description fields (Tribute, vendored).
