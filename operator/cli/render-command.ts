// `nexus render`: the objects the operator would write for the given manifests.
import type { Command } from "commander";
import { ioOf } from "./context.js";
import { loadFromOptions } from "./load.js";
import { addFileOptions, addRenderSettingOptions, outputOption, type FileOptions, type RenderSettingOptions } from "./options.js";
import { renderAll } from "./render-set.js";
import { renderWarnings, tenancyWarnings } from "./render-warnings.js";
import { writeObjects, type ObjectFormat } from "./serialize.js";

interface RenderOptions extends FileOptions, RenderSettingOptions {
  output: ObjectFormat;
}

export function registerRender(program: Command): void {
  const command = program
    .command("render")
    .summary("print the Istio and cert-manager objects the operator would write")
    .description(
      "Print the objects the operator writes for the given EngineIdentities and AccessPolicies: " +
        "AuthorizationPolicies, PeerAuthentications, RequestAuthentications, Certificates and each " +
        "namespace's default-deny baseline. The operator's own renderer produces them, sorted by kind, " +
        "namespace and name, keys sorted. Owner references and the operator's applied-hash annotation " +
        "are left out (they depend on the objects' uids in a cluster). Offline: no cluster is read.",
    );
  addFileOptions(command);
  addRenderSettingOptions(command);
  command
    .addOption(outputOption(["yaml", "json"], "yaml"))
    .addHelpText("after", "\nExamples:\n  nexus render -f examples/\n  nexus render -R -f policies/ -o json > rendered.json\n  cat policy.yaml | nexus render -f -\n")
    .action(async (options: RenderOptions, cmd: Command) => {
      const { manifests, config } = await loadFromOptions(cmd, options);
      const rendered = renderAll(manifests, config);
      const io = ioOf(cmd);
      for (const line of [...tenancyWarnings(manifests, config), ...renderWarnings(rendered.policies)]) io.err(`nexus: warning: ${line}\n`);
      writeObjects(rendered.objects, options.output, io.out);
    });
}
