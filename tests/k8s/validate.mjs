// tests/k8s/validate.mjs - reads the manifests `kubectl kustomize` renders
// (YAML, several documents) on stdin and checks each against the
// Kubernetes OpenAPI schema of its kind, offline: the schemas are those
// bundled by the npm package kubernetes-models.  Prints one line per
// manifest; exits 1 when one is refused (the field and the rule named).
import { parseAllDocuments } from "yaml";
import { readFileSync } from "node:fs";

// apiVersion "apps/v1" -> "kubernetes-models/apps/v1/StatefulSet"
function modelPath(apiVersion, kind) {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

// kustomize 5 folds a Secret's base64 values over several lines; the API
// server's decoder (Go's base64) skips the newlines, the schema's "byte"
// pattern does not: they are joined before the check.
function unfoldSecret(manifest) {
  if (manifest.kind !== "Secret" || !manifest.data) return manifest;
  const data = {};
  for (const [key, value] of Object.entries(manifest.data))
    data[key] = typeof value === "string" ? value.replace(/[\r\n]/g, "") : value;
  return { ...manifest, data };
}

const text = readFileSync(0, "utf8");
let failed = 0, count = 0;
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length) { console.log(`YAML: ${doc.errors[0].message}`); failed++; continue; }
  const manifest = doc.toJS();
  if (!manifest) continue;
  count++;
  const name = `${manifest.kind}/${manifest.metadata && manifest.metadata.name}`;
  let Model;
  try {
    Model = (await import(modelPath(manifest.apiVersion, manifest.kind)))[manifest.kind];
  } catch (e) {
    console.log(`FAIL ${name}: no schema for ${manifest.apiVersion} ${manifest.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(unfoldSecret(manifest)).validate();
    console.log(`ok ${name} (${manifest.apiVersion})`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    failed++;
  }
}
console.log(`${count} manifests, ${failed} refused`);
process.exit(failed || count === 0 ? 1 : 0);
