// The baseline without a row bound: node-postgres reading a whole result into memory with client.query().
const { Client } = require('pg');
(async () => {
  const client = new Client({ connectionString: process.argv[2] });
  await client.connect();
  const result = await client.query({ text: process.argv[3], types: { getTypeParser: () => (v) => v } });
  console.log(result.rows.length);
  await client.end();
})();
