import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { formatJunit } from "/work/main/lib/report/junit.ts";
import { fixtureReport } from "/work/main/tests/_helpers/report_fixture.ts";
const xml = formatJunit(fixtureReport()).replace("every step", "a&#10;b &#x41; &lt; every step");
const p = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
const doc = p.parse(xml);
console.log(JSON.stringify(doc, null, 1).slice(0, 3000));
const b = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  suppressEmptyNode: true,
  format: true,
  indentBy: "  ",
});
console.log(b.build(doc));
console.log(XMLValidator.validate("<a><b></a>"));
