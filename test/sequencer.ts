// Integration files run in vitest's usual order, except that files named zz-* run last:
// they check what the whole run left behind.
import { BaseSequencer, type TestSpecification } from "vitest/node";

export class LastFilesLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isLast = (spec: TestSpecification) => /[\\/]zz-[^\\/]*$/.test(spec.moduleId);
    return [...sorted.filter((s) => !isLast(s)), ...sorted.filter(isLast)];
  }
}
