#!/usr/bin/env bash
# The README's walkthrough ("Calling it"): every step of the system, in order, against a fresh local stack.
# Dates are relative to now; it stops at the first answer that is not the one expected.
#   make run                       # in one terminal (SEED_DEMO=1 too: the demo shops use other numbers)
#   docs/walkthrough.sh            # in another; API, AWS, TOKEN and PY below can be set from the environment
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

API=${API:-http://127.0.0.1:8000}                 # the API of `make run`
AWS=${AWS:-http://127.0.0.1:5000}                 # its embedded AWS (S3 for the notice)
PY=${PY:-.venv/bin/python}                        # reads the JSON answers
TOKEN=${TOKEN:-$PY -m devstack.token}             # TOKEN ROLE SUB [--merchant-id M] prints a dev token (= make -s token)

# call STATUS METHOD PATH TOKEN [BODY] [curl options…]: prints the answer; any other status stops the script
call() {
  local want=$1 method=$2 path=$3 token=$4 body=${5:-} out status
  shift $(($# < 5 ? $# : 5))
  local args=(-sS -X "$method" "$API$path" -H "Authorization: Bearer $token" -w '\n%{http_code}')
  [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
  out=$(curl "${args[@]}" "$@")
  status=${out##*$'\n'} out=${out%$'\n'*}
  [ -n "${QUIET:-}" ] || echo "$method $path → $status" >&2
  [ "$status" = "$want" ] || { echo "expected $want: $out" >&2; exit 1; }
  echo "$out"
}
# pick FIELD[.FIELD…] (a number picks a list item): one value of the JSON answer on stdin
pick() { "$PY" -c 'import functools, json, sys
a = json.loads(sys.stdin.read() or sys.exit(1))      # nothing: the call before failed, and said why
v = functools.reduce(lambda v, k: v[int(k)] if isinstance(v, list) else v[k], sys.argv[1].split("."), a)
print(v if isinstance(v, str) else json.dumps(v))' "$1"; }
# check CONDITION: prints the JSON answer on stdin (as `a`) and stops the script unless CONDITION holds
check() { "$PY" -c 'import json, sys
a = json.loads(sys.stdin.read() or sys.exit(1)); shown = json.dumps(a, ensure_ascii=False)[:400]
sys.exit(f"not so: {sys.argv[1]}\n{shown}") if not eval(sys.argv[1]) else print(shown)' "$1"; }
# wait_for CONDITION STATUS METHOD PATH TOKEN: repeats the call (up to 2 minutes) until CONDITION holds
wait_for() {
  local condition=$1 until=$((SECONDS + 120)) out; shift
  echo "$2 $3 … until $condition" >&2
  while out=$(QUIET=1 call "$@"); do           # (an unexpected status stops the script here too)
    if check "$condition" <<<"$out" 2>/dev/null; then return; fi
    [ $SECONDS -lt $until ] || { echo "never so: $out" >&2; exit 1; }
    sleep 1
  done
  exit 1
}

STAFF=$($TOKEN staff clerk)
CHIEF=$($TOKEN staff chief)
ALICE=$($TOKEN resident alice)
call 200 GET /health "" | check 'a == {"status": "ok", "stage": "local"}'
call 200 GET /openapi.json "" | check 'a["openapi"].startswith("3.1")'      # the whole contract

# the local clock back at real time; from its answer, this month and the two after it (KST)
NOW=$(call 200 DELETE /_local/clock "$STAFF" | pick now)
read -r MONTH NEXT LATER <<<"$("$PY" -c 'import sys; y, m = int(sys.argv[1][:4]), int(sys.argv[1][5:7])
print(*(f"{y + (m + i - 1) // 12}-{(m + i - 1) % 12 + 1:02d}" for i in range(3)))' "$NOW")"
YEAR=${NEXT%-*}                                   # the year of the donations below (made once this month is over)

# staff register a Benefit Plus shop (5 % instant discount) that delivers (배달서구), and a mall seller;
# a business number is 10 digits with a valid check digit (the tenth), hyphens optional
SHOP_ID=$(call 201 POST /staff/merchants "$STAFF" '{"name":"청라 분식","business_number":"124-81-00998",
  "dong":"청라2동","category":"restaurant","benefit_plus":true,"discount_rate":5,
  "delivery":{"fee":2000,"min_order":10000,"dongs":["청라1동","청라2동","청라3동"]}}' | pick merchant_id)
SELLER_ID=$(call 201 POST /staff/merchants "$STAFF" '{"name":"서구 쌀집","business_number":"220-81-62517",
  "dong":"오류왕길동","category":"grocery","benefit_plus":false,"food_complex":true,"malls":["only-seogu"]}' |
  pick merchant_id)
call 200 POST "/staff/merchants/$SELLER_ID/malls" "$STAFF" '{"mall":"yumyum"}' | check 'a["malls"] == ["only-seogu", "yumyum"]'
# a shop registered without delivery is given it later (or its fee, minimum order and dongs changed)
call 200 PUT "/staff/merchants/$SELLER_ID/delivery" "$STAFF" '{"fee":3000,"min_order":20000,"dongs":["오류왕길동"]}' |
  check 'a["delivery"]["dongs"] == ["오류왕길동"]'
SHOP=$($TOKEN merchant owner1 --merchant-id "$SHOP_ID")
SELLER=$($TOKEN merchant owner2 --merchant-id "$SELLER_ID")

# shops near me: staff record where a shop is (inside Seo-gu); residents search a radius, nearest first
call 200 PUT "/staff/merchants/$SHOP_ID/location" "$STAFF" '{"lat":37.5368,"lng":126.6425}' |
  check 'a["location"] == {"lat": 37.5368, "lng": 126.6425}'
call 200 GET "/merchants?near=37.5360,126.6430&radius=500&benefit_plus=true" "$ALICE" |
  check 'a["items"][0]["merchant_id"] == "'"$SHOP_ID"'" and 90 < a["items"][0]["distance_m"] < 110'

# a resident opens a wallet, tops up and pays (from cashback first, none yet)
call 201 POST /wallet "$ALICE" '{"dong":"청라2동","agree_terms":true}' | check 'a["charged_balance"] == 0'
call 201 POST /wallet/charges "$ALICE" '{"amount":300000}' -H 'Idempotency-Key: top-up-1' |
  check 'a["charged_balance"] == 300000'
# a whole top-up may go back to the bank within 7 days, while the balance still holds it
CHARGE_ID=$(call 201 POST /wallet/charges "$ALICE" '{"amount":10000}' -H 'Idempotency-Key: top-up-2' | pick charge_id)
call 200 POST "/wallet/charges/$CHARGE_ID/cancel" "$ALICE" | check 'a["status"] == "cancelled" and a["charged_balance"] == 300000'
PAY_ID=$(call 201 POST /payments "$ALICE" '{"merchant_id":"'"$SHOP_ID"'","amount":12000,"use_cashback":true}' \
  -H 'Idempotency-Key: lunch-1' | pick payment_id)
call 200 GET "/payments/$PAY_ID" "$ALICE" |
  check 'a["paid"] == 11400 and a["cashback"] == {"city-base": 456, "gu-extra": 114, "benefit-plus": 228}'
call 200 GET "/payments?month=$MONTH&limit=20" "$ALICE" | check 'len(a["items"]) == 1'
# the live meter: per program, the rate the next eligible won earns, how far to the next tier, the rate after
call 200 GET /wallet "$ALICE" | check '[(m["program_id"], m["rate_bp"], m["until_next"], m["next_rate_bp"])
  for m in a["month"]["meter"]][0] == ("city-base", 400, 300000 - 11400, 200)'
call 200 GET "/merchants/$SHOP_ID" "$ALICE" | check 'a["cashback_rate_bp"] == 400 + 100 + 200'   # all three programs cover it

# the shop refunds part of it (without an amount: everything that is left)
call 200 POST "/merchant/payments/$PAY_ID/refunds" "$SHOP" '{"amount":5000}' -H 'Idempotency-Key: refund-1' |
  check 'a["status"] == "partially_refunded" and a["refunded"] == 5000'

# 선물하기: a gift of charged money with a one-time claim code (shown once) that another resident claims
BOB=$($TOKEN resident bob)
call 201 POST /wallet "$BOB" '{"dong":"검단동","agree_terms":true}' >/dev/null
CODE=$(call 201 POST /gifts "$ALICE" '{"amount":20000,"message":"생일 축하해"}' -H 'Idempotency-Key: gift-bob-1' |
  pick claim_code)
call 201 POST /gifts/claim "$BOB" '{"claim_code":"'"$CODE"'"}' -H 'Idempotency-Key: claim-1' |
  check 'a["amount"] == 20000 and a["charged_balance"] == 20000'
call 200 GET /gifts "$ALICE" | check 'a["items"][0]["status"] == "claimed" and "claim_code" not in a["items"][0]'
# once 60 % of everything charged (gifts received count) is spent, the rest may go back to the bank
call 201 POST /payments "$BOB" '{"merchant_id":"'"$SELLER_ID"'","amount":12000,"use_cashback":false}' \
  -H 'Idempotency-Key: bob-pay-1' >/dev/null
call 201 POST /wallet/withdrawals "$BOB" '{}' -H 'Idempotency-Key: bob-out-1' |
  check 'a["amount"] == 8000 and a["charged_balance"] == 0'
call 409 POST /wallet/withdrawals "$ALICE" '{}' -H 'Idempotency-Key: alice-out-1' |   # alice spent less than 60 %
  check 'a["error"]["code"] == "INVALID_STATE"'

# 자동충전: "below 20,000 won, top up 50,000": a payment that leaves less starts one top-up, without waiting for it
CAROL=$($TOKEN resident carol)
call 201 POST /wallet "$CAROL" '{"dong":"가정1동","agree_terms":true}' >/dev/null
call 201 POST /wallet/charges "$CAROL" '{"amount":30000}' -H 'Idempotency-Key: carol-top-up-1' >/dev/null
call 200 PUT /wallet/auto-charge "$CAROL" '{"mode":"below","below":20000,"amount":50000}' | check 'a["last"] is None'
call 201 POST /payments "$CAROL" '{"merchant_id":"'"$SELLER_ID"'","amount":15000,"use_cashback":false}' \
  -H 'Idempotency-Key: carol-pay-1' | check 'a["from_charged"] == 15000'
wait_for 'a["last"] is not None and a["last"]["status"] == "charged"' 200 GET /wallet/auto-charge "$CAROL"
call 200 GET /wallet "$CAROL" | check 'a["charged_balance"] == 30000 - 15000 + 50000'
# (unclaimed for 72 hours it goes back by itself; the sender may cancel it before: POST /gifts/{id}/cancel)

# 배달서구: the shop's menu, an order priced by the server, the shop's steps (or /reject {"reason"})
call 200 PUT /merchant/menu "$SHOP" '{"items":[{"item_id":"tteok","name":"떡볶이","price":4500,"available":true}]}' >/dev/null
ORDER_ID=$(call 201 POST /orders "$ALICE" '{"merchant_id":"'"$SHOP_ID"'","items":[{"item_id":"tteok","quantity":3}],
  "address":"청라동 1-1"}' -H 'Idempotency-Key: dinner-1' | pick order_id)
call 200 POST "/merchant/orders/$ORDER_ID/accept" "$SHOP" '{"eta_minutes":30}' | check 'a["status"] == "accepted"'
call 200 POST "/merchant/orders/$ORDER_ID/dispatch" "$SHOP" | check 'a["status"] == "dispatched"'
call 200 POST "/merchant/orders/$ORDER_ID/deliver" "$SHOP" | check 'a["status"] == "delivered"'
# a cancel (or a rejection) may carry an Idempotency-Key: its retry replays the first answer, refunding once
ORDER_ID=$(call 201 POST /orders "$ALICE" '{"merchant_id":"'"$SHOP_ID"'","items":[{"item_id":"tteok","quantity":3}],
  "address":"청라동 1-1"}' -H 'Idempotency-Key: dinner-2' | pick order_id)
for _ in 1 2; do
  call 200 POST "/orders/$ORDER_ID/cancel" "$ALICE" '' -H 'Idempotency-Key: cancel-1' | check 'a["status"] == "cancelled"'
done

# malls: the seller lists a product, the resident buys it with the consent, the seller ships it
call 200 PUT /merchant/products/rice-10kg "$SELLER" \
  '{"mall":"only-seogu","name":"서구 쌀 10kg","price":30000,"stock":20,"shipping_fee":3000}' >/dev/null
MALL_ORDER_ID=$(call 201 POST /mall/orders "$ALICE" '{"mall":"only-seogu","items":[{"product_id":"rice-10kg","quantity":1}],
  "shipping":{"name":"홍길동","phone":"010-1234-5678","address":"인천 서구 청라동 1-1","postcode":"22742"},
  "consent":{"third_party_provision":true,"version":"2020-01"}}' -H 'Idempotency-Key: rice-1' | pick order_id)
call 200 POST "/merchant/mall-orders/$MALL_ORDER_ID/ship" "$SELLER" '{"carrier":"CJ대한통운","tracking_number":"1234567890"}' |
  check 'a["status"] == "shipped"'
call 200 GET /wallet "$ALICE" | check 'a["month"]["month"] == "'"$MONTH"'" and a["month"]["pending_cashback"] > 0'

# monthly settlement: the local clock past the end of this month closes it; staff settle it, it completes
call 200 PUT /_local/clock "$STAFF" '{"now":"'"$NEXT"'-01T00:00:30+09:00"}' >/dev/null
call 202 POST /staff/settlements "$STAFF" '{"month":"'"$MONTH"'"}' >/dev/null
wait_for 'a["status"] == "completed" and a["books_balanced"]' 200 GET "/staff/settlements/$MONTH" "$STAFF"
call 200 GET "/merchant/settlements/$MONTH" "$SHOP" | check 'a["net"] == a["gross"] - a["discounts"] - a["refunds"]'
call 200 GET /wallet "$ALICE" | check 'a["cashback_balance"] > 1000 and a["month"]["pending_cashback"] == 0'

# 서로도움: a gift from the cashback, an automatic gift at each settlement from now on, the year's statement
call 200 GET /campaigns "$ALICE" | check 'len(a["items"]) >= 4'
call 201 POST /donations "$ALICE" '{"amount":1000,"campaign_id":"solitary-elderly"}' -H 'Idempotency-Key: gift-1' |
  check 'a["amount"] == 1000'
call 200 PUT /donations/auto "$ALICE" '{"mode":"fixed","amount":3000,"campaign_id":"rare-disease-children"}' |
  check 'a["mode"] == "fixed"'                    # or {"mode":"all"} / {"mode":"off"}
call 200 GET "/donations?year=$YEAR" "$ALICE" | check 'a["total"] == 1000 and a["tax_credit_estimate"] == 150'
call 200 PUT /me/tax-id "$ALICE" '{"rrn":"900101-1234568","consent_nts":true}' | check 'a["rrn_masked"] == "900101-1******"'
call 201 POST /staff/campaigns "$STAFF" '{"title":"겨울철 연탄 나눔","category":"winter-heating","target":5000000}' >/dev/null
call 200 POST /staff/donations/nts-export "$STAFF" '{"year":'"$YEAR"'}' | check 'a["records"] == 1'

# the clock back to real time: this month is settled, its cashback credited, nothing pending
call 200 DELETE /_local/clock "$STAFF" >/dev/null
call 200 GET /wallet "$ALICE" | check 'a["month"]["month"] == "'"$MONTH"'" and a["month"]["pending_cashback"] == 0'

# one history of every movement with the balances after it (newest first), the month as CSV for Excel,
# and the year's usage statement for the income deduction (what was paid from charged money, net of refunds)
call 200 GET "/history?month=$MONTH&limit=5" "$ALICE" |
  check 'a["items"][0]["balance"]["charged"] == 300000 - 11400 + 5000 - 20000 - 14825 - 33000'   # the cancelled order: ±0
OUT=$(mktemp -d)
call 200 GET "/history.csv?month=$MONTH" "$ALICE" >"$OUT/$MONTH.csv"
grep -q $'^\xef\xbb\xbfat,type,ref_id,charged,cashback,balance_charged' "$OUT/$MONTH.csv"   # UTF-8 with a BOM
call 200 GET "/me/usage-statement?year=${MONTH%-*}" "$ALICE" | check 'a["total"] > 0'

# the cashback policy in force; one for next month, proposed by one staff member, approved by another
call 200 GET /policies/current "$ALICE" >/dev/null
call 202 PUT "/staff/policies/$NEXT" "$STAFF" '{"programs":[{"program_id":"city-base","funder":"incheon-city",
  "tiers":[{"up_to":500000,"rate_bp":300},{"up_to":null,"rate_bp":0}]}],"monthly_charge_limit":1000000,
  "balance_limit":2000000}' | check 'a["status"] == "proposed" and a["proposed_by"] == "clerk"'
call 200 POST "/staff/policies/$NEXT/approve" "$CHIEF" | check 'a["status"] == "approved"'
call 200 GET "/staff/audit?limit=20" "$CHIEF" | check '"policy.approve" in [e["action"] for e in a["items"]]'

# 서구소식: staff publish a Markdown file with a YAML front matter by uploading it to the notices bucket
"$PY" -c 'import sys, boto3; boto3.client("s3", endpoint_url=sys.argv[1], region_name="ap-northeast-2",
  aws_access_key_id="local", aws_secret_access_key="local").put_object(Bucket=sys.argv[2], Key="notices/yoga.md",
  Body=sys.stdin.buffer.read())' "$AWS" "${NOTICES_BUCKET:-seoro-notices-local}" <<MD
---
title: 청라2동 주민 요가교실 수강생 모집
category: dong-event            # disaster | daily-info | major-news | dong-event
dongs: [청라2동]                # or: all
expires_at: $LATER-01T00:00:00+09:00   # optional, as is publish_at (without an offset: KST)
pinned: false                   # optional
---

# 주민 요가교실
- 매주 월·수 10:00, 청라2동 행정복지센터 3층
MD
wait_for '[n["status"] for n in a["items"] if n["key"] == "notices/yoga.md"] == ["published"]' \
  200 GET /staff/notices "$STAFF"
POST_ID=$(call 200 GET /news "$ALICE" '' --get --data-urlencode 'dong=청라2동' -d category=dong-event | pick items.0.post_id)
call 200 GET "/news/$POST_ID" "$ALICE" | check 'a["body_html"].startswith("<h1>")'
echo "the walkthrough ran to the end" >&2
