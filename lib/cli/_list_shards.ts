/**
 * What `--list --shard I/N --durations REPORT` adds: the expected duration of every shard, so a
 * CI author sees the split is even before running it.
 *
 * @module
 */

import { formatDuration } from "../report/_format.ts";
import { selectScenarios } from "../scenario/select.ts";
import { balanceShards, type Durations } from "../scenario/shard_durations.ts";
import type { Scenario } from "../scenario/types.ts";
import type { Shard } from "./args.ts";

/** The selection `--list` balances, and which shard this run is. */
export interface ShardPlan {
  filter?: RegExp;
  tags: string[];
  shard: Shard;
  durations: Durations;
}

/** One line per shard: its scenarios and expected time, `*` marking this run's shard. */
export function shardSummary(loaded: Scenario[], options: ShardPlan): string {
  const candidates = selectScenarios(loaded, { filter: options.filter, tags: options.tags });
  const sorted = [...candidates].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
  const { shards, expectedMs } = balanceShards(sorted, options.durations, options.shard.total);
  return shards.map((shard, i) => {
    const mark = i + 1 === options.shard.index ? "*" : " ";
    const count = `${shard.length} scenario${shard.length === 1 ? "" : "s"}`;
    return `${mark} shard ${i + 1}/${shards.length}: ${count}, expected ${
      formatDuration(expectedMs[i])
    }\n`;
  }).join("");
}
