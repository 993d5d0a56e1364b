/**
 * Keeps V8's young generation at its initial size for the rest of the process.
 *
 * A backup or restore allocates quickly (chunks, streams, promises). V8 answers a high
 * allocation rate by doubling the young generation's semi-spaces, from 1 MiB up to 16 MiB
 * each on 64-bit Node 20: up to 32 MiB of heap that mostly holds garbage and stays resident.
 * `--max-semi-space-size` caps that but is read only when the heap is set up, i.e. on the
 * command line, which a `#!/usr/bin/env node` bin cannot pass portably. The growth factor is
 * read each time V8 grows new space, so setting it to 1 at run time stops the growth.
 *
 * Measured on the backup benchmark (20,022 files / 2.5 GB and a 1.2 GB database): peak RSS of
 * `backup create` 187-193 MiB -> 145 MiB, of `backup restore` 183-189 MiB -> 146-169 MiB, wall
 * time within the run-to-run spread (bench/README.md).
 */
import v8 from "node:v8";

let applied = false;

export function keepYoungGenerationSmall(): void {
  if (applied) return;
  applied = true;
  // The flag has been in V8 since 2014 (Node 20-24 included); an unknown flag would only print
  // a warning.
  v8.setFlagsFromString("--semi-space-growth-factor=1");
}
