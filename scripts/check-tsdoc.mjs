#!/usr/bin/env node
/**
 * Checks that every public export of every published package has a TSDoc description, and so do
 * the public members of the interfaces and classes it exports (a comment holding only tags, such
 * as `@default`, does not count). Members and exports marked `@internal` are skipped.
 *
 * Usage: `node scripts/check-tsdoc.mjs` (part of `pnpm check`). Prints each undocumented name with
 * its file and line, and exits with 1 when there is any.
 */
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The published packages: every `packages/*` whose package.json is not private. */
function publishedEntries() {
  const entries = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', name);
    const pkgFile = join(dir, 'package.json');
    const entry = join(dir, 'src', 'index.ts');
    if (!existsSync(pkgFile) || !existsSync(entry)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (pkg.private) continue;
    entries.push({ name: pkg.name, entry });
  }
  return entries;
}

function isInternal(symbol) {
  return symbol.getJsDocTags().some((tag) => tag.name === 'internal');
}

function described(symbol, checker) {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '';
}

function where(declaration) {
  const file = declaration.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(declaration.getStart());
  return `${relative(root, file.fileName)}:${line + 1}`;
}

/** Public members of an exported interface or class, declared in this repository. */
function membersOf(symbol, checker) {
  const declaration = symbol.declarations?.[0];
  if (!declaration) return [];
  const isClass = ts.isClassDeclaration(declaration);
  if (!isClass && !ts.isInterfaceDeclaration(declaration)) return [];
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const members = [...checker.getPropertiesOfType(type)];
  if (isClass) members.push(...checker.getPropertiesOfType(checker.getTypeOfSymbol(symbol)));
  return members.filter((member) => {
    const d = member.declarations?.[0];
    if (!d || d.getSourceFile().fileName.includes('node_modules')) return false;
    if (member.name.startsWith('#') || member.name === 'prototype') return false;
    const flags = ts.getCombinedModifierFlags(d);
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
  });
}

/** Undocumented exports and members of each entry point, as `name (file:line)`, by entry. */
function undocumented(entries) {
  const program = ts.createProgram(entries, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const byEntry = new Map();
  for (const entry of entries) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
    const missing = [];
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      if (!declaration || isInternal(symbol)) continue;
      if (!described(symbol, checker)) missing.push(`${exported.name} (${where(declaration)})`);
      for (const member of membersOf(symbol, checker)) {
        if (isInternal(member) || described(member, checker)) continue;
        missing.push(`${exported.name}.${member.name} (${where(member.declarations[0])})`);
      }
    }
    byEntry.set(entry, missing);
  }
  return byEntry;
}

const packages = publishedEntries();
const byEntry = undocumented(packages.map((p) => p.entry));
let total = 0;
for (const { name, entry } of packages) {
  const missing = byEntry.get(entry);
  total += missing.length;
  for (const m of missing) process.stderr.write(`${name}: no TSDoc description: ${m}\n`);
}
if (total > 0) {
  process.stderr.write(`check-tsdoc: ${total} public names without a TSDoc description\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('check-tsdoc: every public export and member is documented\n');
}
