import 'camunda-bpmn-js/dist/assets/camunda-cloud-navigated-viewer.css';
import NavigatedViewer from 'camunda-bpmn-js/lib/camunda-cloud/NavigatedViewer';

/** A count shown on an element of the diagram. */
export interface Badge {
  elementId: string;
  text: string;
  /** Read by screen readers and shown on hover. */
  label: string;
  kind: 'active' | 'incident';
}

/** A read-only diagram (pan and zoom) with badges and highlighted elements. */
export interface Diagram {
  badges(badges: Badge[]): void;
  /** Adds a CSS class to elements (`path-done`, `path-active`, `path-incident`). */
  mark(elementIds: string[], marker: string): void;
  destroy(): void;
}

interface Overlays {
  add(
    elementId: string,
    type: string,
    overlay: { position: object; html: HTMLElement; scale?: { min?: number; max?: number } },
  ): string;
  remove(filter: { type: string }): void;
}

interface Canvas {
  zoom(level: 'fit-viewport' | number, center?: 'auto'): number;
  addMarker(elementId: string, marker: string): void;
}

interface ElementRegistry {
  get(id: string): unknown;
}

/**
 * Shows a BPMN diagram in `container` with bpmn-js's navigated viewer (the Camunda 8
 * distribution the modeler uses; the bpmn.io watermark its licence requires stays).
 */
export async function showDiagram(container: HTMLElement, xml: string): Promise<Diagram> {
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(xml);
  const canvas = viewer.get<Canvas>('canvas');
  const overlays = viewer.get<Overlays>('overlays');
  const registry = viewer.get<ElementRegistry>('elementRegistry');
  canvas.zoom('fit-viewport', 'auto');
  return {
    badges(badges) {
      overlays.remove({ type: 'kehou-count' });
      const perElement = new Map<string, Badge[]>();
      for (const b of badges) {
        if (!registry.get(b.elementId)) continue;
        perElement.set(b.elementId, [...(perElement.get(b.elementId) ?? []), b]);
      }
      for (const [elementId, list] of perElement) {
        const html = document.createElement('div');
        html.className = 'diagram-badges';
        for (const b of list) {
          const el = document.createElement('span');
          el.className = `diagram-badge diagram-badge-${b.kind}`;
          el.textContent = b.text;
          el.title = b.label;
          el.setAttribute('aria-label', b.label);
          el.dataset.element = elementId;
          el.dataset.kind = b.kind;
          html.appendChild(el);
        }
        // readable however far the diagram is zoomed out
        overlays.add(elementId, 'kehou-count', {
          position: { bottom: 8, left: -8 },
          html,
          scale: { min: 1 },
        });
      }
    },
    mark(elementIds, marker) {
      for (const id of elementIds) if (registry.get(id)) canvas.addMarker(id, marker);
    },
    destroy() {
      viewer.destroy();
    },
  };
}
