/**
 * The BPMN processes the engine benchmark runs, generated so that the Zeebe-dialect version
 * (for Kehou Flow) and the plain BPMN 2.0 version (for the `bpmn-engine` package) have exactly
 * the same shape.
 */

const ZEEBE_HEADER =
  '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
  'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ' +
  'xmlns:modeler="http://camunda.org/schema/modeler/1.0" ' +
  'id="BenchDefinitions" targetNamespace="http://kehou.flow/bench" ' +
  'modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">';

/** Job type of the service tasks of every benchmark process. */
export const BENCH_JOB_TYPE = 'bench-work';

/** Job type of parked jobs that no worker polls (growth runs). */
export const PARKED_JOB_TYPE = 'bench-parked';

/** Process ids, unique per benchmark database. */
export const PROCESS_IDS = {
  tenTasks: 'bench-ten-elements',
  oneTask: 'bench-one-task',
  userTask: 'bench-user-task',
  parked: 'bench-parked-job',
} as const;

function serviceTasks(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `Task${i + 1}`);
}

/** Start → `tasks` service tasks → end, as a chain of ids with the flows between them. */
function chain(tasks: string[]): { ids: string[]; flows: string } {
  const ids = ['Start', ...tasks, 'End'];
  const flows = ids
    .slice(1)
    .map(
      (to, i) => `<bpmn:sequenceFlow id="Flow${i + 1}" sourceRef="${ids[i]}" targetRef="${to}" />`,
    )
    .join('\n    ');
  return { ids, flows };
}

/** Zeebe-dialect process: start, `taskCount` service tasks of `jobType`, end. */
export function zeebeServiceChain(processId: string, taskCount: number, jobType = BENCH_JOB_TYPE) {
  const tasks = serviceTasks(taskCount);
  const { flows } = chain(tasks);
  const taskXml = tasks
    .map(
      (id) =>
        `<bpmn:serviceTask id="${id}" name="${id}"><bpmn:extensionElements>` +
        `<zeebe:taskDefinition type="${jobType}" retries="3" />` +
        `</bpmn:extensionElements></bpmn:serviceTask>`,
    )
    .join('\n    ');
  return `<?xml version="1.0" encoding="UTF-8"?>
${ZEEBE_HEADER}
  <bpmn:process id="${processId}" name="${processId}" isExecutable="true">
    <bpmn:startEvent id="Start" />
    ${taskXml}
    <bpmn:endEvent id="End" />
    ${flows}
  </bpmn:process>
</bpmn:definitions>
`;
}

/** Zeebe-dialect process: start, one native user task (`zeebe:userTask`), end. */
export function zeebeUserTask(processId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
${ZEEBE_HEADER}
  <bpmn:process id="${processId}" name="${processId}" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:userTask id="Review" name="Review"><bpmn:extensionElements>
      <zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="teachers" />
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="End" />
    <bpmn:sequenceFlow id="Flow1" sourceRef="Start" targetRef="Review" />
    <bpmn:sequenceFlow id="Flow2" sourceRef="Review" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
`;
}

/**
 * Plain BPMN 2.0 process for `bpmn-engine`: the same start, `taskCount` service tasks and end.
 * Each task calls `environment.services.work(executionContext, callback)`, the mechanism
 * bpmn-elements documents for service tasks.
 */
export function plainServiceChain(processId: string, taskCount: number): string {
  const tasks = serviceTasks(taskCount);
  const { flows } = chain(tasks);
  const taskXml = tasks
    .map(
      (id) =>
        `<serviceTask id="${id}" name="${id}" implementation="\${environment.services.work}" />`,
    )
    .join('\n    ');
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="BenchPlain" targetNamespace="http://kehou.flow/bench">
  <process id="${processId}" isExecutable="true">
    <startEvent id="Start" />
    ${taskXml}
    <endEvent id="End" />
    ${flows}
  </process>
</definitions>
`;
}
