// Offline check of Kubernetes manifests against the Kubernetes API schemas, refusing
// any field a kind's schema lacks (as `kubectl apply --validate=strict` does).
//   node validate.mjs FILE.yaml...      exit 0: every document valid; 1: errors listed
// Two schema sources, both generated from the Kubernetes OpenAPI document:
//  - kubernetes-models: its JSON-schema validators (types, formats, required fields);
//  - @kubernetes/client-node: its models' attribute maps (every field each type has),
//    walked here so an unknown or misspelled field anywhere is an error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseAllDocuments } from 'yaml';
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';

const require = createRequire(import.meta.url);

// "apps/v1" + "Deployment" -> client-node's V1Deployment, kubernetes-models' module.
function kindModels(apiVersion, kind) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const className = version.charAt(0).toUpperCase() + version.slice(1) + kind;
    let validating = null;
    try {
        const mod = require(`kubernetes-models/${group ? group + '/' : ''}${version}/${kind}`);
        validating = mod[kind];
    } catch {
        validating = null;
    }
    return { strict: models[className], validating };
}

function describe(value) {
    return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

// Walks `value` as client-node type `type`; pushes "path: problem" lines to `errors`.
function walk(value, type, path, errors) {
    if (value === null || value === undefined)
        return;
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
        if (!Array.isArray(value))
            return errors.push(`${path}: expected an array, got ${describe(value)}`);
        value.forEach((item, i) => walk(item, array[1], `${path}[${i}]`, errors));
        return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
        if (describe(value) !== 'object')
            return errors.push(`${path}: expected a map, got ${describe(value)}`);
        for (const [k, v] of Object.entries(value))
            walk(v, map[1], `${path}.${k}`, errors);
        return;
    }
    switch (type) {
    case 'string':
    case 'Date':
        if (typeof value !== 'string')
            errors.push(`${path}: expected a string, got ${describe(value)}`);
        return;
    case 'number':
        if (typeof value !== 'number')
            errors.push(`${path}: expected a number, got ${describe(value)}`);
        return;
    case 'boolean':
        if (typeof value !== 'boolean')
            errors.push(`${path}: expected a boolean, got ${describe(value)}`);
        return;
    case 'IntOrString':
        if (typeof value !== 'number' && typeof value !== 'string')
            errors.push(`${path}: expected an integer or a string, got ${describe(value)}`);
        return;
    case 'any':
    case 'object':
        return;
    }
    const model = models[type];
    if (!model || typeof model.getAttributeTypeMap !== 'function')
        return errors.push(`${path}: no schema for type ${type}`);
    if (describe(value) !== 'object')
        return errors.push(`${path}: expected an object (${type}), got ${describe(value)}`);
    const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [k, v] of Object.entries(value)) {
        if (!fields.has(k)) {
            errors.push(`${path}.${k}: unknown field "${k}" (${type} has: ${[...fields.keys()].join(', ')})`);
            continue;
        }
        walk(v, fields.get(k), `${path}.${k}`, errors);
    }
}

let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
    const text = readFileSync(file, 'utf8');
    const docs = parseAllDocuments(text);
    docs.forEach((doc, index) => {
        const where = `${file}: document ${index + 1}`;
        const errors = doc.errors.map((e) => `YAML: ${e.message}`);
        const obj = errors.length ? null : doc.toJS();
        if (obj === null && !errors.length)
            return; // an empty document
        if (obj) {
            const { apiVersion, kind } = obj;
            if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
                errors.push('apiVersion and kind are required');
            } else {
                const { strict, validating } = kindModels(apiVersion, kind);
                if (!strict || !validating) {
                    errors.push(`unknown kind ${kind} in ${apiVersion}`);
                } else {
                    walk(obj, strict.name, kind, errors);
                    try {
                        new validating(obj).validate();
                    } catch (e) {
                        const details = (e.errors || []).map((x) => `${kind}${x.instancePath.replaceAll('/', '.')}: ${x.message}`);
                        errors.push(...(details.length ? details : [String(e.message || e)]));
                    }
                }
            }
        }
        checked++;
        if (errors.length) {
            failed++;
            console.error(`${where} (${obj?.kind ?? '?'} ${obj?.metadata?.name ?? ''}): invalid`);
            for (const e of errors)
                console.error(`  ${e}`);
        } else {
            console.log(`${where}: ${obj.kind} ${obj.metadata?.name ?? ''} valid`);
        }
    });
}
if (checked === 0) {
    console.error('no Kubernetes documents checked');
    process.exit(1);
}
process.exit(failed ? 1 : 0);
