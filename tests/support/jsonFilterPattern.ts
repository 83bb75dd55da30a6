/**
 * A stand-in for CloudWatch Logs' matcher of JSON filter patterns, for the subset the monitoring component uses:
 * `{ ... }` around selectors `$.a.b` compared with `=` / `!=` to a "string" or a number, `$.a NOT EXISTS`, `&&`,
 * `||` and parentheses (CloudWatch Logs user guide, "Using filter patterns to match terms in JSON log events").
 * Assumption, stated because the guide does not spell it out: a comparison on a field the event lacks is false,
 * which is why the patterns test absence with NOT EXISTS instead of relying on `!=`.
 */
type Token = string;

function tokenize(pattern: string): Token[] {
  const re = /\s*(\{|\}|\(|\)|&&|\|\||!=|=|NOT EXISTS|\$[.\w]+|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/y;
  const tokens: Token[] = [];
  let rest = pattern.trim();
  while (rest.length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw new Error(`cannot read the filter pattern at: ${rest}`);
    tokens.push(m[1]);
    rest = rest.slice(m[0].length).trimStart();
  }
  return tokens;
}

function select(event: unknown, selector: string): { found: boolean; value?: unknown } {
  let node: unknown = event;
  for (const key of selector.slice(2).split(".")) {
    if (node === null || typeof node !== "object" || !(key in node)) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

/** True when the JSON log line matches the pattern. */
export function matchesJsonPattern(pattern: string, line: string): boolean {
  const tokens = tokenize(pattern);
  if (tokens[0] !== "{" || tokens[tokens.length - 1] !== "}") throw new Error("expected a { ... } JSON pattern");
  const event: unknown = JSON.parse(line);
  let i = 1;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const or = (): boolean => {
    let value = and();
    while (peek() === "||") {
      next();
      value = and() || value;
    }
    return value;
  };
  const and = (): boolean => {
    let value = term();
    while (peek() === "&&") {
      next();
      value = term() && value;
    }
    return value;
  };
  const term = (): boolean => {
    if (peek() === "(") {
      next();
      const value = or();
      if (next() !== ")") throw new Error("expected )");
      return value;
    }
    const selector = next();
    const op = next();
    const field = select(event, selector);
    if (op === "NOT EXISTS") return !field.found;
    const raw = next();
    const literal: unknown = raw.startsWith('"') ? JSON.parse(raw) : Number(raw);
    if (!field.found) return false;
    if (op === "=") return field.value === literal;
    if (op === "!=") return field.value !== literal;
    throw new Error(`unsupported operator ${op}`);
  };
  const result = or();
  if (next() !== "}") throw new Error("expected }");
  return result;
}
