// Output of `nexus validate`: text for people, JSON for programs, SARIF 2.1.0 for
// code-scanning UIs (rule ids are the finding codes, locations are file and line).
import { WARNING_RULES } from "./cross-checks.js";
import type { Finding, ValidationReport } from "./validate-documents.js";

export type ReportFormat = "text" | "json" | "sarif";

export interface LocatedFinding extends Finding {
  line: number | undefined;
}

function subject(f: Finding): string {
  return f.name ? `${f.kind} ${f.namespace}/${f.name}` : `${f.kind} (no name)`;
}

export function formatText(findings: readonly LocatedFinding[], color: boolean): string {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return findings
    .map((f) => {
      const where = `${f.file}${f.line !== undefined ? `:${f.line}` : ` document ${f.index}`}`;
      const level = f.severity === "error" ? paint("31", "error") : paint("33", `warning ${f.code}`);
      return `${where}: ${level}: ${subject(f)}: ${f.message}\n`;
    })
    .join("");
}

export function formatJson(report: ValidationReport, findings: readonly LocatedFinding[]): string {
  const errors = findings.filter((f) => f.severity === "error").length;
  return `${JSON.stringify(
    {
      checked: report.checked,
      skipped: report.skipped,
      errors,
      warnings: findings.length - errors,
      findings: findings.map((f) => ({
        severity: f.severity,
        code: f.code,
        file: f.file,
        document: f.index,
        ...(f.line !== undefined ? { line: f.line } : {}),
        kind: f.kind,
        namespace: f.namespace,
        name: f.name,
        field: f.field,
        message: f.message,
      })),
    },
    null,
    2,
  )}\n`;
}

const ERROR_RULE_TEXT: Record<string, string> = {
  FieldValueInvalid: "a field's value breaks a rule of the CRD",
  FieldValueTypeInvalid: "a field's value has the wrong type",
  FieldValueRequired: "a required field is missing",
  FieldValueNotSupported: "a field's value is not one of the allowed values",
  FieldValueTooLong: "a string is longer than the CRD allows",
  FieldValueTooMany: "a list or map has more items than the CRD allows",
  FieldValueDuplicate: "a set or map list holds the same item twice",
  FieldValueUnknown: "a field the CRD does not define (kubectl's strict field validation refuses it)",
  UnknownKind: "a kind or version the CRDs do not define",
  Duplicate: "the same object is defined twice",
};

export function formatSarif(findings: readonly LocatedFinding[], toolVersion: string): string {
  const codes = [...new Set(findings.map((f) => f.code))].sort();
  const rules = codes.map((id) => ({
    id,
    shortDescription: { text: (WARNING_RULES as Record<string, string>)[id] ?? ERROR_RULE_TEXT[id] ?? id },
    defaultConfiguration: { level: id.startsWith("NX") ? "warning" : "error" },
  }));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "nexus validate", version: toolVersion, rules } },
        results: findings.map((f) => ({
          ruleId: f.code,
          ruleIndex: codes.indexOf(f.code),
          level: f.severity,
          message: { text: `${subject(f)}: ${f.message}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file === "<stdin>" ? "stdin" : f.file.split("\\").join("/") },
                ...(f.line !== undefined ? { region: { startLine: f.line } } : {}),
              },
              logicalLocations: [{ name: f.field || f.name, fullyQualifiedName: `${subject(f)}${f.field ? `.${f.field}` : ""}`, kind: "object" }],
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
