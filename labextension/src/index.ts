/**
 * jupyter-iotcoder's JupyterLab extension.
 *
 * 1. Cell insertion: the kernel's %%iotcoder magic opens a comm on
 *    `jupyter_iotcoder.cells` carrying the generated cells; they are inserted
 *    directly below the magic cell in one shared-model transaction, and the
 *    kernel gets a reply ("inserted" | "duplicate" | "error").
 * 2. Stepwise execution: "Run next step", "Run all steps" and "Stop" toolbar
 *    buttons run the generated code cells of the latest run in order.
 * 3. `iotcoder:insert-cells`: the chat persona's cells, with their iotcoder
 *    metadata, below the active cell of the current notebook in one transaction.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ToolbarButton } from '@jupyterlab/ui-components';

export const COMM_TARGET = 'jupyter_iotcoder.cells';

/** What every generated cell carries in `metadata.iotcoder`. */
interface IIoTCoderMeta {
  run_id: string;
  step: number;
  kind: string;
  magic_cell_id?: string | null;
  source_fingerprint?: string;
  stage_outputs?: { task?: { title?: string } };
}

interface IGeneratedCell {
  cell_type: 'markdown' | 'code' | 'raw';
  source: string | string[];
  metadata: { iotcoder?: IIoTCoderMeta; [key: string]: unknown };
  id?: string;
}

interface IInsertRequest {
  action: 'insert';
  request_id: string;
  magic_cell_id: string;
  replace: boolean;
  cells: IGeneratedCell[];
}

interface IMetadataOwner {
  getMetadata(key: string): unknown;
}

interface INotebookCell extends IMetadataOwner {
  id: string;
  getSource(): string;
}

/** 32-bit FNV-1a of the UTF-8 source as 8 hex digits (same as frontend.source_fingerprint in Python). */
export function sourceFingerprint(source: string): string {
  let value = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(source)) {
    value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  }
  return value.toString(16).padStart(8, '0');
}

/** A generated cell whose source differs from what was inserted: the user edited it. */
function isEdited(cell: INotebookCell, meta: IIoTCoderMeta): boolean {
  return (
    meta.source_fingerprint !== undefined &&
    sourceFingerprint(cell.getSource()) !== meta.source_fingerprint
  );
}

function iotcoderMeta(cell: IMetadataOwner): IIoTCoderMeta | undefined {
  const value = cell.getMetadata('iotcoder') as IIoTCoderMeta | undefined;
  return value && typeof value.run_id === 'string' ? value : undefined;
}

/** What to do with an insert request, decided from the notebook's cells alone. */
export type InsertPlan =
  | { action: 'duplicate' }
  | { action: 'error'; message: string }
  | { action: 'insert'; remove: number[]; kept: number; insertAt: number };

export function planInsertion(
  cells: ReadonlyArray<INotebookCell>,
  request: IInsertRequest
): InsertPlan {
  const runId = request.cells[0]?.metadata?.iotcoder?.run_id;
  if (!runId || request.cells.length === 0) {
    return { action: 'error', message: 'the request has no generated cells' };
  }
  if (cells.some(cell => iotcoderMeta(cell)?.run_id === runId)) {
    return { action: 'duplicate' };
  }
  const magicIndex = cells.findIndex(cell => cell.id === request.magic_cell_id);
  if (magicIndex < 0) {
    return {
      action: 'error',
      message: 'the cell that ran %%iotcoder is no longer in this notebook'
    };
  }
  const remove: number[] = [];
  let kept = 0;
  if (request.replace) {
    cells.forEach((cell, index) => {
      const meta = iotcoderMeta(cell);
      if (meta?.magic_cell_id === request.magic_cell_id) {
        if (isEdited(cell, meta)) {
          kept += 1;
        } else {
          remove.push(index);
        }
      }
    });
  }
  const shift = remove.filter(index => index < magicIndex).length;
  return { action: 'insert', remove, kept, insertAt: magicIndex - shift + 1 };
}

function toSharedCell(cell: IGeneratedCell): any {
  const shared: any = {
    cell_type: cell.cell_type,
    source: Array.isArray(cell.source) ? cell.source.join('') : cell.source,
    metadata: cell.metadata
  };
  if (cell.id) {
    shared.id = cell.id;
  }
  if (cell.cell_type === 'code') {
    shared.outputs = [];
    shared.execution_count = null;
  }
  return shared;
}

/** One runnable generated code cell. */
interface IStep {
  index: number;
  cell: CodeCell;
  meta: IIoTCoderMeta;
}

function stepName(meta: IIoTCoderMeta): string {
  if (meta.kind === 'wiring') {
    return `Step ${meta.step} (run_pipeline)`;
  }
  if (meta.kind === 'example-run') {
    return `Step ${meta.step} (run on the example data)`;
  }
  const title = meta.stage_outputs?.task?.title;
  return title ? `Step ${meta.step} ("${title}")` : `Step ${meta.step}`;
}

/** Per notebook: insertion handling and the stepwise runner of the latest run. */
class NotebookSteps {
  private lastInserted: string | undefined;
  private cursors = new Map<string, number>();
  private running = false;
  private stopRequested = false;

  constructor(private panel: NotebookPanel) {}

  /** Register the comm target on every kernel this notebook gets. */
  watchKernels(): void {
    const register = (kernel: Kernel.IKernelConnection | null | undefined) => {
      kernel?.registerCommTarget(COMM_TARGET, (comm, msg) =>
        this.handleInsert(comm, msg)
      );
    };
    this.panel.sessionContext.kernelChanged.connect((_, change) =>
      register(change.newValue)
    );
    void this.panel.sessionContext.ready.then(() =>
      register(this.panel.sessionContext.session?.kernel)
    );
    register(this.panel.sessionContext.session?.kernel);
  }

  handleInsert(comm: Kernel.IComm, msg: KernelMessage.ICommOpenMsg): void {
    const request = msg.content.data as unknown as IInsertRequest;
    if (request?.action !== 'insert') {
      return;
    }
    const reply = (data: Record<string, unknown>) =>
      comm.send({ request_id: request.request_id, ...data } as any);
    try {
      const model = this.panel.content.model;
      if (!model) {
        reply({ status: 'error', message: 'the notebook is not loaded' });
        return;
      }
      const shared = model.sharedModel;
      const plan = planInsertion(shared.cells, request);
      if (plan.action === 'duplicate') {
        reply({ status: 'duplicate', count: 0 });
        return;
      }
      if (plan.action === 'error') {
        reply({ status: 'error', message: plan.message });
        return;
      }
      shared.transact(() => {
        for (const index of [...plan.remove].sort((a, b) => b - a)) {
          shared.deleteCell(index);
        }
        shared.insertCells(plan.insertAt, request.cells.map(toSharedCell));
      });
      this.remember(request.cells[0].metadata.iotcoder?.run_id);
      reply({
        status: 'inserted',
        count: request.cells.length,
        removed: plan.remove.length,
        kept: plan.kept
      });
    } catch (error) {
      reply({ status: 'error', message: String(error) });
    }
  }

  /** Chat insert: the cells below the active cell in one transaction, as a run the step buttons know. */
  insertBelowActive(cells: IGeneratedCell[]): number {
    const model = this.panel.content.model;
    if (!model) {
      throw new Error('the notebook is not loaded');
    }
    const at = this.panel.content.activeCellIndex + 1;
    // fresh cell ids: inserting the same result twice must not give two cells one id
    const fresh = cells.map(cell => toSharedCell({ ...cell, id: undefined }));
    model.sharedModel.transact(() => model.sharedModel.insertCells(at, fresh));
    this.remember(cells[0].metadata.iotcoder?.run_id);
    return cells.length;
  }

  /** A run just inserted: the step buttons act on it next, from its first step. */
  private remember(runId: string | undefined): void {
    if (runId) {
      this.lastInserted = runId;
      this.cursors.delete(runId);
    }
  }

  /** The run of the active cell if it is generated, else the last inserted run, else the last one in the notebook. */
  currentRun(): string | undefined {
    const notebook = this.panel.content;
    const active = notebook.activeCell;
    const activeMeta = active ? iotcoderMeta(active.model) : undefined;
    if (activeMeta) {
      return activeMeta.run_id;
    }
    const runs = notebook.widgets
      .map(cell => iotcoderMeta(cell.model)?.run_id)
      .filter((id): id is string => !!id);
    if (this.lastInserted && runs.includes(this.lastInserted)) {
      return this.lastInserted;
    }
    return runs.length ? runs[runs.length - 1] : undefined;
  }

  steps(runId: string): IStep[] {
    const steps: IStep[] = [];
    this.panel.content.widgets.forEach((cell, index) => {
      const meta = iotcoderMeta(cell.model);
      if (meta?.run_id === runId && cell.model.type === 'code') {
        steps.push({ index, cell: cell as CodeCell, meta });
      }
    });
    return steps;
  }

  private cursor(runId: string, steps: IStep[]): number {
    const stored = this.cursors.get(runId);
    if (stored !== undefined && stored < steps.length) {
      return stored;
    }
    if (stored !== undefined) {
      return 0;
    }
    const firstUnrun = steps.findIndex(step => step.cell.model.executionCount === null);
    return firstUnrun < 0 ? 0 : firstUnrun;
  }

  async run(mode: 'next' | 'all'): Promise<void> {
    if (this.running) {
      Notification.warning('Generated steps are already running; press Stop to interrupt them.', {
        autoClose: 4000
      });
      return;
    }
    const runId = this.currentRun();
    const steps = runId ? this.steps(runId) : [];
    if (!runId || steps.length === 0) {
      Notification.info('This notebook has no generated iotcoder steps to run yet.', { autoClose: 4000 });
      return;
    }
    if (!this.panel.sessionContext.session?.kernel) {
      Notification.error('No kernel: start one to run the generated steps.', { autoClose: 5000 });
      return;
    }
    this.running = true;
    this.stopRequested = false;
    this.panel.node.dataset.iotcoderRunning = 'true';
    try {
      let position = this.cursor(runId, steps);
      do {
        const step = steps[position];
        const ok = await this.runStep(step);
        if (!ok) {
          this.cursors.set(runId, position);
          return;
        }
        position += 1;
        this.cursors.set(runId, position);
      } while (mode === 'all' && position < steps.length && !this.stopRequested);
      if (this.stopRequested) {
        Notification.warning(`Stopped before ${stepName(steps[position].meta)}.`, { autoClose: 5000 });
      } else if (position >= steps.length) {
        Notification.success(`All ${steps.length} generated steps ran.`, { autoClose: 4000 });
      }
    } finally {
      this.running = false;
      delete this.panel.node.dataset.iotcoderRunning;
    }
  }

  private async runStep(step: IStep): Promise<boolean> {
    const notebook = this.panel.content;
    notebook.activeCellIndex = step.index;
    notebook.deselectAll();
    void notebook.scrollToCell(step.cell, 'smart');
    let reply: KernelMessage.IExecuteReplyMsg | void;
    try {
      reply = await CodeCell.execute(step.cell, this.panel.sessionContext, {
        deletedCells: this.panel.content.model?.deletedCells ?? [],
        recordTiming: false
      });
    } catch (error) {
      Notification.error(`${stepName(step.meta)} could not run: ${error}`, { autoClose: false });
      return false;
    }
    const content = reply?.content;
    if (!content) {
      return true; // an empty cell: nothing to run
    }
    if (content.status === 'ok') {
      return true;
    }
    const what =
      content.status === 'error'
        ? `${content.ename}: ${content.evalue}`
        : 'the kernel aborted it';
    const verb = this.stopRequested ? 'was stopped' : 'failed';
    Notification.error(`${stepName(step.meta)} ${verb}: ${what}`, { autoClose: false });
    return false;
  }

  async stop(): Promise<void> {
    const kernel = this.panel.sessionContext.session?.kernel;
    if (!this.running || !kernel) {
      Notification.info('No generated step is running.', { autoClose: 3000 });
      return;
    }
    this.stopRequested = true;
    await kernel.interrupt();
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-iotcoder:plugin',
  description: 'Inserts %%iotcoder cells below the magic cell and runs them step by step.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
  ) => {
    const runners = new WeakMap<NotebookPanel, NotebookSteps>();

    tracker.widgetAdded.connect((_, panel) => {
      const steps = new NotebookSteps(panel);
      runners.set(panel, steps);
      steps.watchKernels();
      const buttons: [string, string, string, () => Promise<void>][] = [
        ['iotcoder-run-next', 'Run next step', 'Run the next generated iotcoder step', () => steps.run('next')],
        ['iotcoder-run-all', 'Run all steps', 'Run the remaining generated iotcoder steps in order', () => steps.run('all')],
        ['iotcoder-stop', 'Stop', 'Interrupt the running generated step', () => steps.stop()]
      ];
      let after = 'cellType';
      for (const [name, label, tooltip, action] of buttons) {
        const button = new ToolbarButton({
          label,
          tooltip,
          className: name,
          onClick: () => void action()
        });
        if (!panel.toolbar.insertAfter(after, name, button)) {
          panel.toolbar.addItem(name, button);
        }
        after = name;
      }
    });

    const current = () => {
      const panel = tracker.currentWidget;
      return panel ? runners.get(panel) : undefined;
    };
    const commands: [string, string, () => Promise<void> | undefined][] = [
      ['iotcoder:run-next-step', 'IoTCoder: Run next step', () => current()?.run('next')],
      ['iotcoder:run-all-steps', 'IoTCoder: Run all steps', () => current()?.run('all')],
      ['iotcoder:stop-steps', 'IoTCoder: Stop running steps', () => current()?.stop()]
    ];
    app.commands.addCommand('iotcoder:insert-cells', {
      label: 'IoTCoder: Insert generated cells below the active cell',
      describedBy: {
        args: {
          type: 'object',
          properties: { cells: { type: 'array', description: 'nbformat cells with metadata.iotcoder' } },
          required: ['cells']
        }
      },
      execute: args => {
        const panel = tracker.currentWidget;
        if (!panel) {
          throw new Error('No notebook is open: open one and click the cell to insert below');
        }
        const cells = args.cells as unknown as IGeneratedCell[];
        if (!Array.isArray(cells) || cells.length === 0) {
          throw new Error('there are no cells to insert');
        }
        const inserted = runners.get(panel)!.insertBelowActive(cells);
        return { inserted, path: panel.context.path };
      }
    });
    for (const [id, label, execute] of commands) {
      app.commands.addCommand(id, {
        label,
        isEnabled: () => tracker.currentWidget !== null,
        execute: () => execute()
      });
      palette?.addItem({ command: id, category: 'IoTCoder' });
    }
  }
};

export default plugin;
