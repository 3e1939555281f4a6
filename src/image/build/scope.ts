// Everything one build shares across its stages and steps.
import type { Containerfile } from './containerfile/index.ts';
import type { SourceTree } from './context/index.ts';
import type { LayerRef } from './rootfs.ts';
import type { StageState } from './state.ts';
import type { BuildSyscalls } from './syscalls.ts';
import type { BuildDeps, BuildEvent, BuildRequest } from './types.ts';

export interface BuildScope {
  deps: BuildDeps & { syscalls: BuildSyscalls };
  request: BuildRequest;
  file: Containerfile;
  /** The build context, with its ignore rules. */
  context: SourceTree;
  globalArgs: Map<string, string | undefined>;
  /** Stages built so far, by index. */
  stages: Map<number, StageState>;
  /** The current step (1-based) and the number of steps in the stages being built. */
  step: number;
  total: number;
  emit(event: BuildEvent): void;
  /** The layers (and cache key) of a stage or image named by COPY --from. */
  resolveFrom(from: string, state: StageState): Promise<{ layers: LayerRef[]; key: string }>;
}
