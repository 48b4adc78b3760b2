/** One lint finding: a value; the CLI decides how to show it (text, JSON, SARIF, GitHub). */
export type Category = 'secret' | 'waste' | 'correctness' | 'best-practice' | 'style';
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  rule: string;
  category: Category;
  severity: Severity;
  message: string;
  /** The Dockerfile (or image) the finding is about, and the line when known. */
  file?: string;
  line?: number;
  column?: number;
  /** Image findings: the layer (0-based index and blob digest) and the path in it. */
  layer?: number;
  digest?: string;
  path?: string;
  bytes?: number;
}

export interface RuleInfo {
  id: string;
  category: Category;
  severity: Severity;
  /** One sentence: what is wrong and what to do instead (SARIF help, the text output). */
  help: string;
}
