import { equal, ok, rejects } from "node:assert/strict";
import { writeFileAtomicSync, writeTextFileAtomic } from "../lib/_atomic_write.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "atomic_write_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function readAll(file: Deno.FsFile): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

Deno.test("an atomic write replaces the file: a reader of the old file never sees it cut or mixed", async () => {
  await inTempDir(async (dir) => {
    const file = `${dir}/scenario.yaml`;
    await Deno.writeTextFile(file, "old text\n".repeat(1000));
    // A file written in place (truncate, then write) changes under a reader that opened it;
    // a renamed-over file leaves the reader the whole old text.
    using reader = await Deno.open(file);
    await writeTextFileAtomic(file, "new\n");
    equal(await Deno.readTextFile(file), "new\n");
    equal(await readAll(reader), "old text\n".repeat(1000));
    equal((await entries(dir)).join(), "scenario.yaml", "no temporary file left");
  });
});

Deno.test("an atomic write keeps the file's mode and writes through a symlink", async () => {
  await inTempDir(async (dir) => {
    const file = `${dir}/real.yaml`;
    await Deno.writeTextFile(file, "a\n", { mode: 0o640 });
    await Deno.chmod(file, 0o640);
    await Deno.symlink(file, `${dir}/link.yaml`);
    await writeTextFileAtomic(`${dir}/link.yaml`, "b\n");
    equal(await Deno.readTextFile(file), "b\n");
    ok((await Deno.lstat(`${dir}/link.yaml`)).isSymlink, "the link is still a link");
    equal((await Deno.stat(file)).mode! & 0o777, 0o640);
    equal((await entries(dir)).join(), "link.yaml,real.yaml");
  });
});

Deno.test("an atomic write makes missing directories when asked", async () => {
  await inTempDir(async (dir) => {
    await writeTextFileAtomic(`${dir}/out/deep/report.xml`, "<x/>\n", { mkdirs: true });
    equal(await Deno.readTextFile(`${dir}/out/deep/report.xml`), "<x/>\n");
  });
});

Deno.test("a failed atomic write leaves the target as it was and no temporary file", async () => {
  await inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/taken`);
    await Deno.writeTextFile(`${dir}/taken/inside`, "kept");
    // Renaming a file over a non-empty directory fails after the temporary file was written.
    await rejects(() => writeTextFileAtomic(`${dir}/taken`, "text"));
    equal(await Deno.readTextFile(`${dir}/taken/inside`), "kept");
    equal((await entries(dir)).join(), "taken");
  });
});

Deno.test("a file name of 255 bytes (the most a name may have) is written atomically, by both writers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const name = "é".repeat(120) + "x".repeat(15); // 255 bytes of UTF-8: no room for a longer temporary name
    equal(new TextEncoder().encode(name).length, 255);
    await writeTextFileAtomic(`${dir}/${name}`, "text");
    equal(await Deno.readTextFile(`${dir}/${name}`), "text");
    writeFileAtomicSync(`${dir}/${name}`, new TextEncoder().encode("bytes"));
    equal(await Deno.readTextFile(`${dir}/${name}`), "bytes");
    equal([...Deno.readDirSync(dir)].length, 1, "no temporary file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
