import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { GRIDS, type Grid } from './layout-grids';

/**
 * Lays out the BPMN templates in `processes/`. A template is written as semantic XML; this
 * script fills each flow node's `incoming`/`outgoing` from its sequence flows and replaces the
 * diagram interchange (DI) with a layout drawn from a hand-written grid (`layout-grids.ts`:
 * a column and row per element), with orthogonal sequence flows, so every template renders in
 * Camunda Modeler and in our modeler.
 *
 * Why a grid and not bpmn-auto-layout: the templates merge many paths (refusals, rejections,
 * escalations) and bpmn-auto-layout places such merges early and draws flows through tasks;
 * it also puts event sub-processes in the first column.
 *
 * Usage: `npx tsx scripts/layout-processes.ts [process-id …]` (default: every template).
 * Running it twice gives the same files.
 */

const PROCESSES = join(__dirname, '..', 'processes');

/** Pixel size of a grid cell and where cell (0, 0) has its centre. */
const COL = 150;
const ROW = 130;
const ORIGIN = { x: 200, y: 260 };
/** Space around the content of an expanded sub-process (more on top for its name). */
const PAD = { x: 30, top: 40, bottom: 30 };
/** Distance between the centres of boundary events on one host. */
const BOUNDARY_SPACING = 44;

async function main(): Promise<void> {
  const ids = process.argv.slice(2);
  for (const id of ids.length ? ids : Object.keys(GRIDS)) {
    const path = join(PROCESSES, `${id}.bpmn`);
    const grid = GRIDS[id];
    if (!grid) throw new Error(`no grid for ${id} in scripts/layout-grids.ts`);
    writeFileSync(path, await layoutTemplate(readFileSync(path, 'utf8'), grid));
    console.log(`laid out processes/${id}.bpmn`);
  }
}

/** Returns the template with incoming/outgoing filled in and the grid's layout as its DI. */
export async function layoutTemplate(xml: string, grid: Grid): Promise<string> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema }) as unknown as Moddle;
  const { rootElement: definitions } = await moddle.fromXML(xml);
  const processes = definitions.rootElements.filter((e) => e.$type === 'bpmn:Process');
  if (processes.length !== 1) throw new Error('a template holds exactly one process');
  const proc = processes[0]!;
  connect(proc);

  const boxes = new Map<string, Box>();
  place(proc, grid, boxes);
  const di: Element[] = [];
  drawShapes(moddle, proc, boxes, di);
  drawEdges(moddle, proc, grid, boxes, di);

  const plane = moddle.create('bpmndi:BPMNPlane', {
    id: 'BPMNPlane_1',
    bpmnElement: proc,
    planeElement: di,
  });
  definitions.diagrams = [moddle.create('bpmndi:BPMNDiagram', { id: 'BPMNDiagram_1', plane })];
  const { xml: out } = await moddle.toXML(definitions, { format: true });
  return `${out}\n`;
}

// helpers //////////

/** The slice of moddle's element API this script uses. */
interface Element {
  $type: string;
  id: string;
  flowElements?: Element[];
  rootElements: Element[];
  diagrams?: Element[];
  triggeredByEvent?: boolean;
  sourceRef?: Element;
  targetRef?: Element;
  attachedToRef?: Element;
  incoming?: Element[];
  outgoing?: Element[];
}

interface Moddle {
  fromXML(xml: string): Promise<{ rootElement: Element }>;
  toXML(element: Element, options: { format: boolean }): Promise<{ xml: string }>;
  create(type: string, attrs: Record<string, unknown>): Element;
}

interface Point {
  x: number;
  y: number;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  kind: 'task' | 'event' | 'gateway' | 'subProcess' | 'boundary';
}

const isFlow = (e: Element) => e.$type === 'bpmn:SequenceFlow';
const isSubProcess = (e: Element) => e.$type === 'bpmn:SubProcess';

/** Rebuilds incoming/outgoing of every flow node from the sequence flows, in document order. */
function connect(container: Element): void {
  const elements = container.flowElements ?? [];
  for (const e of elements) {
    if (isFlow(e)) continue;
    e.incoming = [];
    e.outgoing = [];
    if (isSubProcess(e)) connect(e);
  }
  for (const f of elements.filter(isFlow)) {
    if (!f.sourceRef || !f.targetRef) throw new Error(`${f.id}: source or target missing`);
    f.sourceRef.outgoing!.push(f);
    f.targetRef.incoming!.push(f);
  }
  for (const e of elements) {
    if (e.incoming?.length === 0) delete e.incoming;
    if (e.outgoing?.length === 0) delete e.outgoing;
  }
}

function kindOf(e: Element): Box['kind'] {
  if (e.$type === 'bpmn:BoundaryEvent') return 'boundary';
  if (e.$type.endsWith('Event')) return 'event';
  if (e.$type.endsWith('Gateway')) return 'gateway';
  if (isSubProcess(e)) return 'subProcess';
  return 'task';
}

const SIZE: Record<Exclude<Box['kind'], 'subProcess'>, number[]> = {
  task: [100, 80],
  event: [36, 36],
  boundary: [36, 36],
  gateway: [50, 50],
};

/** Places every element of a container: grid cells, sub-processes around their content. */
function place(container: Element, grid: Grid, boxes: Map<string, Box>): void {
  const elements = (container.flowElements ?? []).filter((e) => !isFlow(e));
  for (const e of elements) {
    const kind = kindOf(e);
    if (kind === 'boundary') continue;
    if (kind === 'subProcess') {
      place(e, grid, boxes);
      const inner = (e.flowElements ?? []).filter((c) => !isFlow(c)).map((c) => boxes.get(c.id)!);
      // bends named in the grid stay inside the sub-process too
      for (const f of (e.flowElements ?? []).filter(isFlow)) {
        for (const p of (grid.via?.[f.id] ?? []).map(cellCentre))
          inner.push({ kind: 'event', x: p.x - 10, y: p.y - 10, width: 20, height: 20 });
      }
      const minX = Math.min(...inner.map((b) => b.x));
      const minY = Math.min(...inner.map((b) => b.y));
      const maxX = Math.max(...inner.map((b) => b.x + b.width));
      const maxY = Math.max(...inner.map((b) => b.y + b.height));
      boxes.set(e.id, {
        kind,
        x: minX - PAD.x,
        y: minY - PAD.top,
        width: maxX - minX + 2 * PAD.x,
        height: maxY - minY + PAD.top + PAD.bottom,
      });
      continue;
    }
    const cell = grid.cells[e.id];
    if (!cell) throw new Error(`no grid cell for ${e.id}`);
    const [w, h] = SIZE[kind] as [number, number];
    const c = cellCentre(cell);
    boxes.set(e.id, { kind, x: c.x - w / 2, y: c.y - h / 2, width: w, height: h });
  }
  // boundary events sit on their host's bottom edge, spread evenly
  const byHost = new Map<string, Element[]>();
  for (const e of elements.filter((x) => kindOf(x) === 'boundary')) {
    const host = e.attachedToRef!.id;
    byHost.set(host, [...(byHost.get(host) ?? []), e]);
  }
  for (const [host, events] of byHost) {
    const h = boxes.get(host)!;
    events.forEach((e, i) => {
      const cx = h.x + h.width / 2 + (i - (events.length - 1) / 2) * BOUNDARY_SPACING;
      boxes.set(e.id, {
        kind: 'boundary',
        x: cx - 18,
        y: h.y + h.height - 18,
        width: 36,
        height: 36,
      });
    });
  }
}

function cellCentre([col, row]: readonly [number, number]): Point {
  return { x: ORIGIN.x + col * COL, y: ORIGIN.y + row * ROW };
}

function centre(b: Box): Point {
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

function drawShapes(moddle: Moddle, container: Element, boxes: Map<string, Box>, di: Element[]) {
  for (const e of (container.flowElements ?? []).filter((x) => !isFlow(x))) {
    const b = boxes.get(e.id)!;
    di.push(
      moddle.create('bpmndi:BPMNShape', {
        id: `${e.id}_di`,
        bpmnElement: e,
        ...(e.$type === 'bpmn:ExclusiveGateway' ? { isMarkerVisible: true } : {}),
        ...(b.kind === 'subProcess' ? { isExpanded: true } : {}),
        bounds: moddle.create('dc:Bounds', {
          x: b.x,
          y: b.y,
          width: b.width,
          height: b.height,
        }),
      }),
    );
    if (isSubProcess(e)) drawShapes(moddle, e, boxes, di);
  }
}

function drawEdges(
  moddle: Moddle,
  container: Element,
  grid: Grid,
  boxes: Map<string, Box>,
  di: Element[],
) {
  for (const e of container.flowElements ?? []) {
    if (isSubProcess(e)) drawEdges(moddle, e, grid, boxes, di);
    if (!isFlow(e)) continue;
    const src = boxes.get(e.sourceRef!.id)!;
    const tgt = boxes.get(e.targetRef!.id)!;
    const via = grid.via?.[e.id]?.map(cellCentre) ?? autoVia(src, tgt);
    const points = besideSubProcess(src, tgt) ?? route(src, tgt, via);
    di.push(
      moddle.create('bpmndi:BPMNEdge', {
        id: `${e.id}_di`,
        bpmnElement: e,
        waypoint: points.map((p) => moddle.create('dc:Point', { x: p.x, y: p.y })),
      }),
    );
  }
}

/**
 * The bends of a flow when the grid names none: straight when source and target share a row
 * or a column; out of a gateway or boundary event vertically first; into a gateway from the
 * side it lies on; else a step halfway between the two columns; backwards above the row.
 */
function autoVia(src: Box, tgt: Box): Point[] {
  const s = centre(src);
  const t = centre(tgt);
  if (s.y === t.y) {
    if (t.x > s.x) return [];
    const y = Math.min(src.y, tgt.y) - ROW / 4;
    return [
      { x: s.x, y },
      { x: t.x, y },
    ];
  }
  if (s.x === t.x) return [];
  if (src.kind === 'gateway' || src.kind === 'boundary') return [{ x: s.x, y: t.y }];
  if (tgt.kind === 'gateway' || t.x < s.x) return [{ x: t.x, y: s.y }];
  const mid = tgt.x - (COL - 100) / 2;
  return [
    { x: mid, y: s.y },
    { x: mid, y: t.y },
  ];
}

/** A straight flow into or out of the side of an expanded sub-process that spans the other end's row. */
function besideSubProcess(src: Box, tgt: Box): Point[] | undefined {
  const s = centre(src);
  const t = centre(tgt);
  if (tgt.kind === 'subProcess' && s.y > tgt.y && s.y < tgt.y + tgt.height && s.x < tgt.x)
    return [edgeToward(src, { x: tgt.x, y: s.y }), { x: tgt.x, y: s.y }];
  if (src.kind === 'subProcess' && t.y > src.y && t.y < src.y + src.height && t.x > s.x)
    return [{ x: src.x + src.width, y: t.y }, edgeToward(tgt, { x: src.x, y: t.y })];
  return undefined;
}

/** Waypoints from the source's edge through `via` to the target's edge, all segments orthogonal. */
function route(src: Box, tgt: Box, via: Point[]): Point[] {
  const inner: Point[] = [];
  let prev = centre(src);
  for (const p of [...via, centre(tgt)]) {
    // an unaligned step bends horizontally first
    if (p.x !== prev.x && p.y !== prev.y) inner.push({ x: p.x, y: prev.y });
    inner.push(p);
    prev = p;
  }
  inner.pop();
  const first = inner[0] ?? centre(tgt);
  const last = inner[inner.length - 1] ?? centre(src);
  const start = src.kind === 'boundary' ? bottomOf(src) : edgeToward(src, first);
  const end = edgeToward(tgt, last);
  if (inner.length === 0 && start.x !== end.x && start.y !== end.y) {
    // a boundary event going down then sideways
    return [start, { x: start.x, y: end.y }, edgeToward(tgt, { x: start.x, y: end.y })];
  }
  return [start, ...inner, end];
}

function bottomOf(b: Box): Point {
  return { x: b.x + b.width / 2, y: b.y + b.height };
}

/** The point on a shape's outline facing `p` (which lies on its row or column). */
function edgeToward(b: Box, p: Point): Point {
  const c = centre(b);
  if (p.y === c.y) return { x: p.x > c.x ? b.x + b.width : b.x, y: c.y };
  return { x: c.x, y: p.y > c.y ? b.y + b.height : b.y };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
