export type { ContainerPlanOptions, SeccompProgram } from './build.ts';
/** Builds the launch plan for a container's init from a validated config.json. */
export { buildContainerPlan } from './build.ts';
/** Serializes a launch plan for the native helper. */
export { encodePlan } from './encode.ts';
export type { ExecPlanOptions } from './exec-plan.ts';
/** Builds the launch plan for `exec` into a running container. */
export { buildExecPlan } from './exec-plan.ts';
export { parseMountOptions } from './mount-options.ts';
export { NAMESPACES, planNamespaces } from './namespaces.ts';
export type { LaunchPlan, OpName, Step, StepArg } from './ops.ts';
export { Op } from './ops.ts';
