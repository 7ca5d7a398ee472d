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
 * `ignore = ["MH1"]`, `select = ["MH101"]` runs MH101 only. An opt-in rule (`Rule.optIn`) runs
 * only when `select` names its exact code or ALL.
 */
export function ruleEnabled(code: string, settings: Pick<Settings, "select" | "ignore">, optIn = false): boolean {
  const longest = (list: string[]): number =>
    list.reduce((best, s) => (matches(code, s) ? Math.max(best, s === "ALL" ? 0 : s.length) : best), -1);
  // An opt-in rule is selected by its exact code or ALL, never by default or by a prefix.
  const selected = optIn
    ? settings.select.reduce((best, s) => (s === "ALL" ? Math.max(best, 0) : s.toUpperCase() === code ? Math.max(best, s.length) : best), -1)
    : settings.select.length === 0 ? 0 : longest(settings.select);
  const ignored = longest(settings.ignore);
  if (selected < 0) return false;
  return ignored < 0 || selected > ignored;
}
