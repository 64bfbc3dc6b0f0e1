/**
 * Test support for the pki property tests: the package's typed-error check, DER as a tree
 * (read with der.ts, written back with der-writer.ts), and arbitraries of DER, whole or damaged
 * in its structure. Not part of the package's build.
 */
import { sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { rawChild, readChildren, validateDer, type DerElement } from '../codec/der.js';
import { bitString, bool, concat, constructed, int, oid, seq, tlv } from '../codec/der-writer.js';
import { PkiError } from '../errors.js';

/** Every code of errors.ts: the stable codes a pki decoder may throw. */
export const PKI_ERROR_CODES: readonly string[] = [
  'ERR_PKI',
  'ERR_PKI_INPUT_TOO_LARGE',
  'ERR_PKI_PEM',
  'ERR_PKI_DER',
  'ERR_PKI_BAD_SIGNATURE',
  'ERR_PKI_WEAK_KEY',
  'ERR_PKI_WEAK_SIGNATURE_ALGORITHM',
  'ERR_PKI_UNSUPPORTED_ALGORITHM',
  'ERR_PKI_TOO_MANY_SANS',
  'ERR_PKI_CN_TOO_LONG',
  'ERR_PKI_CA_REQUESTED',
  'ERR_PKI_INVALID_NAME',
  'ERR_PKI_KEY_DECRYPTION',
  'ERR_PKI_KEY_MISMATCH',
  'ERR_PKI_CHAIN',
];

/** Whether `error` is a PkiError carrying one of {@link PKI_ERROR_CODES}. */
export function isPkiError(error: unknown): boolean {
  return error instanceof PkiError && PKI_ERROR_CODES.includes(error.code);
}

/** A DER element: identifier octet, then either its children or its content octets. */
export type DerNode = { readonly identifier: number; readonly children: readonly DerNode[] } | { readonly identifier: number; readonly content: Uint8Array };

/** The tree of strict DER, as validateDer sees it. @throws as validateDer. */
export function derTree(bytes: Uint8Array): DerNode {
  return nodeOf(bytes, validateDer(bytes));
}

function nodeOf(bytes: Uint8Array, el: DerElement): DerNode {
  return el.constructed
    ? { identifier: el.identifier, children: readChildren(bytes, el).map((child) => nodeOf(bytes, child)) }
    : { identifier: el.identifier, content: bytes.slice(el.contentStart, el.end) };
}

/** Writes a tree back with der-writer.ts: definite, shortest lengths, children in the order given. */
export function encodeDerTree(node: DerNode): Uint8Array {
  return 'children' in node ? constructed(node.identifier, node.children.map(encodeDerTree)) : tlv(node.identifier, node.content);
}

function preorder(node: DerNode, out: DerNode[] = []): DerNode[] {
  out.push(node);
  if ('children' in node) for (const child of node.children) preorder(child, out);
  return out;
}

function replaceAt(node: DerNode, target: DerNode, make: (old: DerNode) => DerNode | undefined): DerNode | undefined {
  if (node === target) return make(node);
  if (!('children' in node)) return node;
  const children = node.children.flatMap((child) => {
    const next = replaceAt(child, target, make);
    return next === undefined ? [] : [next];
  });
  return { identifier: node.identifier, children };
}

/** One structural edit: `at` picks the element (pre-order), `value` the new octet or content. */
interface TreeEdit {
  readonly kind: 'tag' | 'content' | 'byte' | 'drop' | 'repeat' | 'transplant';
  readonly at: number;
  readonly value: number;
  readonly bytes: Uint8Array;
}

const treeEdit: fc.Arbitrary<TreeEdit> = fc.record({
  kind: fc.constantFrom<TreeEdit['kind']>('tag', 'content', 'byte', 'drop', 'repeat', 'transplant'),
  at: fc.nat(),
  value: fc.nat(),
  bytes: fc.uint8Array({ maxLength: 24 }),
});

/** Identifier octets worth trying: the universal types X.509 uses and the context tags [0]..[3], [6], [7]. */
const IDENTIFIERS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1c, 0x1e, 0x30, 0x31, 0x80, 0x81, 0x82, 0x86, 0x87, 0xa0, 0xa3,
];

function applyTreeEdit(root: DerNode, edit: TreeEdit): DerNode {
  const nodes = preorder(root);
  const target = nodes[edit.at % nodes.length] as DerNode;
  const make = (old: DerNode): DerNode | undefined => {
    switch (edit.kind) {
      case 'tag': {
        const identifier = IDENTIFIERS[edit.value % IDENTIFIERS.length] as number;
        // A constructed identifier keeps the children; a primitive one takes their encoding as content.
        if ((identifier & 0x20) !== 0) return 'children' in old ? { identifier, children: old.children } : { identifier, children: [] };
        return { identifier, content: 'children' in old ? concat(old.children.map(encodeDerTree)) : old.content };
      }
      case 'content':
        return { identifier: old.identifier & ~0x20, content: edit.bytes };
      case 'byte': {
        if ('children' in old || old.content.length === 0) return old;
        const content = old.content.slice();
        const i = edit.value % content.length;
        content[i] = (content[i] as number) ^ (1 << (edit.value % 8));
        return { identifier: old.identifier, content };
      }
      case 'drop':
        return old === root ? old : undefined;
      case 'repeat':
        return 'children' in old && old.children.length > 0
          ? { identifier: old.identifier, children: [...old.children, old.children[edit.value % old.children.length] as DerNode] }
          : old;
      case 'transplant':
        return nodes[edit.value % nodes.length];
    }
  };
  return replaceAt(root, target, make) ?? root;
}

/**
 * Strict-DER-shaped damage to valid encodings: one to three edits of the tree (an identifier
 * changed, a value's content replaced or a bit of it flipped, an element dropped, repeated or
 * replaced by another), written back with correct lengths. Such inputs pass the TLV walk and
 * reach the field-by-field checks behind it.
 */
export function mutatedDerTree(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const trees = valid.map(derTree);
  return fc
    .tuple(fc.constantFrom(...trees), fc.array(treeEdit, { minLength: 1, maxLength: 3 }))
    .map(([tree, list]) => encodeDerTree(list.reduce(applyTreeEdit, tree)));
}

/**
 * Short byte strings made mostly of the octets a DER reader branches on: identifiers, the short,
 * long and indefinite length forms, 0x00 and 0xFF. Random bytes rarely hit a length octet that
 * runs past the end; these do.
 */
export const derLikeBytes: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x1f, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xa0, 0xff), fc.nat(255)),
    { maxLength: 24 },
  )
  .map((bytes) => Uint8Array.from(bytes));

/** `tbs` signed with a P-256 key the way certificates, requests and CRLs are: SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING }. */
export function signedWithP256(tbs: Uint8Array, key: KeyObject): Uint8Array {
  return seq(tbs, seq(oid('1.2.840.10045.4.3.2')), bitString(new Uint8Array(sign('sha256', tbs, key))));
}

/**
 * {@link mutatedDerTree} applied to the signed part of P-256-signed structures, then signed again
 * with `key` (the one that signed them): the damage gets past the signature check.
 */
export function resignedMutations(valid: readonly Uint8Array[], key: KeyObject): fc.Arbitrary<Uint8Array> {
  return mutatedDerTree(valid.map((der) => rawChild(der, 0))).map((tbs) => signedWithP256(tbs, key));
}

/** Strict DER trees, built from der-writer's own encoders: SEQUENCE, SET and [n] of INTEGER, BOOLEAN, OID, strings. */
export const anyDerTree: fc.Arbitrary<DerNode> = fc.letrec<{ node: DerNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map((n) => derTree(int(n))),
    fc.boolean().map((b) => derTree(bool(b))),
    fc.tuple(fc.nat(2), fc.nat(39), fc.array(fc.nat(), { maxLength: 4 })).map(([a, b, rest]) => derTree(oid([a, b, ...rest].join('.')))),
    fc.tuple(fc.constantFrom(0x04, 0x0c, 0x13, 0x16, 0x80, 0x82), fc.uint8Array({ maxLength: 20 })).map(([identifier, content]) => ({ identifier, content })),
    fc.tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa3), fc.array(tie('node'), { maxLength: 4 })).map(([identifier, children]) => ({ identifier, children })),
  ),
})).node;
