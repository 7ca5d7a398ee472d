/** Settings resolution shared by every front end: defaults, then overrides, then code filters. */
import { DEFAULT_SETTINGS, type Settings } from "./types.js";

/** Merge partial settings over the defaults (later arguments win; lists are replaced, not merged). */
export function resolveSettings(...layers: Array<Partial<Settings> | undefined>): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS, severity: { ...DEFAULT_SETTINGS.severity } };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (key === "severity") out.severity = { ...out.severity, ...(value as Settings["severity"]) };
      else (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

function matches(code: string, selector: string): boolean {
  return selector === "ALL" || code.startsWith(selector.toUpperCase());
}

/**
 * A rule runs when selected (no `select` means all) and not ignored. The more specific selector
 * wins when both match, as in ruff: `select = ["MH1"]`, `ignore = ["MH101"]` runs MH102..., and
 * `ignore = ["MH1"]`, `select = ["MH101"]` runs MH101 only. An opt-in rule (`Rule.optIn`) is left
 * out of the default selection only: its code, a prefix such as `MH2`, or ALL runs it; `MH` alone
 * means the default selection.
 */
export function ruleEnabled(code: string, settings: Pick<Settings, "select" | "ignore">, optIn = false): boolean {
  const longest = (list: string[]): number =>
    list.reduce((best, s) => (matches(code, s) ? Math.max(best, s === "ALL" ? 0 : s.length) : best), -1);
  // `MH`, the whole namespace, stands for the default selection (extend-select adds to it).
  const selected = settings.select.length === 0 ? (optIn ? -1 : 0) : longest(optIn ? settings.select.filter((s) => s.toUpperCase() !== "MH") : settings.select);
  const ignored = longest(settings.ignore);
  if (selected < 0) return false;
  return ignored < 0 || selected > ignored;
}
