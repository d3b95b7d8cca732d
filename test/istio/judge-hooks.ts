// One Istio judge per test file: started before the file's tests, stopped after them.
import { afterAll, beforeAll } from "vitest";
import { IstioJudge, ISTIO_JUDGE_BUILD_TIMEOUT_MS } from "../support/istio-judge.js";

export type JudgeOps = Pick<IstioJudge, "validate" | "translate" | "enforce">;

export function useIstioJudge(): JudgeOps {
  let judge: IstioJudge | undefined;
  beforeAll(async () => {
    judge = await IstioJudge.start();
  }, ISTIO_JUDGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await judge?.stop();
  });
  const started = (): IstioJudge => {
    if (!judge) throw new Error("the Istio judge did not start (see the beforeAll failure)");
    return judge;
  };
  return {
    validate: (objects) => started().validate(objects),
    translate: (objects, options) => started().translate(objects, options),
    enforce: (objects, calls, ports) => started().enforce(objects, calls, ports),
  };
}
