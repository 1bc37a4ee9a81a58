// plannertools: the planner panel's tools beyond editing — household
// balance with split proposals (balance.js), the diff of two times
// (griddiff.js), layer import, export and the coverage check (layerio.js) —
// wired to the planner through the few hooks it gives.
import { initBalance, leaveBalance, refreshBalance, balanceClick } from './balance.js';
import { initDiff, leaveDiff, compareButton } from './griddiff.js';
import { initLayerIO, leaveLayerIO } from './layerio.js';

export { compareButton, balanceClick };

/**
 * initTools adds the tools under the planner's panel.
 * @param {HTMLElement} panel
 * @param {{splitAlong: (code: string, line: any) => Promise<void>, selected: () => string|null}} hooks
 */
export function initTools(panel, hooks) {
  initBalance(panel, hooks);
  initDiff(panel, hooks);
  initLayerIO(panel);
}

/** leaveTools hides what the tools drew (the planner mode is left). */
export function leaveTools() {
  leaveBalance();
  leaveDiff();
  leaveLayerIO();
}

/** afterSave refreshes what a saved edit makes stale. */
export function afterSave() {
  refreshBalance();
}
