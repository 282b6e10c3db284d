// Korean names for the API's identifiers; an unknown id is shown as it is.

const FUNDERS: Record<string, string> = { "incheon-city": "인천광역시", "seo-gu": "서구" };
const PROGRAMS: Record<string, string> = {
  "city-base": "인천시 기본 캐시백",
  "gu-extra": "서구 추가 캐시백",
  "benefit-plus": "혜택플러스",
};
const STATUS: Record<string, string> = {
  queued: "대기 중",
  running: "진행 중",
  completed: "완료",
  failed: "실패",
  placed: "새 주문",
  accepted: "수락됨",
  dispatched: "배달 중",
  delivered: "배달 완료",
  rejected: "거절됨",
  cancelled: "취소됨",
  paid: "결제 완료",
  shipped: "발송됨",
  approved: "승인",
  partially_refunded: "부분 환불",
  refunded: "전액 환불",
  proposed: "제안됨",
  published: "게시됨",
  scheduled: "예약됨",
  retired: "내려감",
};
const MALLS: Record<string, string> = { "only-seogu": "온리서구몰", yumyum: "냠냠서구몰" };

export const funderName = (id: string): string => FUNDERS[id] ?? id;
export const programName = (id: string): string => PROGRAMS[id] ?? id;
export const statusName = (s: string): string => STATUS[s] ?? s;
export const mallName = (id: string): string => MALLS[id] ?? id;
export const MALL_IDS = Object.keys(MALLS);
