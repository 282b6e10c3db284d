"""The bounds of orders, gifts and withdrawals that the API states: the request schemas check them and the
domain enforces them (domain/orders.py, gifts.py and cashout.py, which name them too). They live here, apart
from those areas' logic, so that declaring every route's schemas (`import app`) does not load that logic.
"""

from __future__ import annotations

# ---- orders (domain/orders.py) ----------------------------------------------------------------

MAX_QUANTITY = 99
MAX_LINES = 50
KIND_DELIVERY = "delivery"
KIND_MALL = "mall"

# ---- gifts (domain/gifts.py) ------------------------------------------------------------------

MIN_GIFT = 1_000
MAX_GIFT = 500_000
"""A gift is 1,000 to 500,000 won."""
CLAIM_HOURS = 72
"""A gift may be claimed for 72 hours from its sending; then it goes back to its sender."""
CODE_BITS = 80
CODE_LENGTH = CODE_BITS // 5
"""16 characters, shown as four groups of four."""
CODE_CHARS = "0-9A-TV-Za-tv-z"
"""What a typed code may contain besides hyphens and spaces: the alphabet (domain/gifts.py `CODE_ALPHABET`)
in either case, and I, L, O."""
CODE_PATTERN = rf"^[ -]*([{CODE_CHARS}][ -]*){{{CODE_LENGTH}}}$"

# ---- withdrawals (domain/cashout.py) ----------------------------------------------------------

SPENT_SHARE_PERCENT = 60
"""A withdrawal needs at least 60 % of everything charged spent at shops."""
