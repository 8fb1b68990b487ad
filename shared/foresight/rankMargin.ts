/**
 * rank's default margin. A sample replaces the policy's own chunk (candidate 0) only when its predicted
 * success is this much higher: with the reference pack the K estimates of one decision differ by about
 * 0.01 (the head's noise, not a real difference), and picking the top one without a margin ran a random
 * perturbation of the policy's chunk nearly every time (docs/imagination.md, "Policy runs").
 *
 * On the ground floor so the core's rule (main/imagination/policyEpisodes.ts) and the Policy panel that
 * describes it read the same number.
 */
export const DEFAULT_RANK_MARGIN = 0.05;
