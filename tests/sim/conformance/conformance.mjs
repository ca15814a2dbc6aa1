// SPDX-License-Identifier: GPL-3.0-or-later
// Conformance check of an emulated DolphinDB node (ddbsim) with the official npm `dolphindb`
// client over WebSocket (PROTOCOL.md §8). Usage: node conformance.mjs ws://127.0.40.7:8922
// Prints one line per check; exits 0 when all pass, 1 otherwise.

// Node 20: the client's dependencies expect Promise.withResolvers (Node 22), PROTOCOL.md §8.2.
if (!Promise.withResolvers)
    Promise.withResolvers = function () {
        let resolve, reject
        const promise = new Promise((res, rej) => { resolve = res; reject = rej })
        return { promise, resolve, reject }
    }

const url = process.argv[2] || process.env.DDBSIM_URL || 'ws://127.0.40.7:8922'
const { DDB, DdbTable, DdbVectorTimeStamp, DdbVectorSymbol, DdbVectorInt } = await import('dolphindb')

let failures = 0
function check (name, ok, detail = '') {
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`)
    if (!ok)
        failures++
}

const ddb = new DDB(url, { autologin: true, username: 'admin', password: '123456' })
try {
    await ddb.connect()
    check('connect with inline login', true)

    const version = await ddb.eval('version()')
    check('version()', typeof version.value === 'string' && /^\d+\.\d+\.\d+/.test(version.value), String(version.value))

    const two = await ddb.eval('1+1')
    check('1+1', two.value === 2, String(two.value))

    const alias = await ddb.call('getNodeAlias', [])
    check('call getNodeAlias', typeof alias.value === 'string' && alias.value.length > 0, String(alias.value))

    await ddb.eval(
        'if_exists = existsDatabase("dfs://conformance")\n' +
        'db = database("dfs://conformance",VALUE,2023.01.01..2023.01.02,,\'TSDB\')\n' +
        'tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n' +
        'pt = db.createPartitionedTable(tmp,`t,`time,,`name,ALL)')
    check('tutorial-style DFS script', true)

    const base = 1672531200000
    const table = new DdbTable([
        new DdbVectorTimeStamp([base, base + 1000, base + 2000], 'time'),
        new DdbVectorSymbol(['Apple', 'Meta', 'Apple'], 'name'),
        new DdbVectorInt([1, 2, 3], 'id'),
    ], 'tb')

    await ddb.upload(['tb'], [table])
    const uploaded = await ddb.eval('exec count(*) from tb')
    const symbols = { value: await ddb.execute('exec name from tb') }
    check('upload a table with a SYMBOL column', Number(uploaded.value) === 3 && symbols.value.join(',') === 'Apple,Meta,Apple',
          `${uploaded.value} ${symbols.value}`)

    const appended = await ddb.eval('tableInsert(loadTable("dfs://conformance", "t"), tb)')
    check('tableInsert of the uploaded table', appended.value === 3, String(appended.value))

    const inserted = await ddb.call("tableInsert{loadTable('dfs://conformance', 't')}", [table])
    check('appender call tableInsert{loadTable(...)}', inserted.value === 3, String(inserted.value))

    const back = await ddb.execute('select * from loadTable("dfs://conformance", "t") where id >= 1 and id < 3')
    const names = back.map(r => r.name).join(',')
    check('read back (SYMBOL column)', back.length === 4 && names === 'Apple,Meta,Apple,Meta', JSON.stringify(back.map(r => [r.name, r.id])))

    let error = ''
    try {
        await ddb.eval('noSuchFunction()')
    } catch (e) {
        error = String(e?.message ?? e)
    }
    check('unknown function error text', error.includes('Cannot recognize the token noSuchFunction'), error)
} catch (e) {
    check('unexpected exception', false, String(e?.stack ?? e))
} finally {
    ddb.disconnect()
}

const bad = new DDB(url, { autologin: true, username: 'admin', password: 'wrong' })
try {
    await bad.connect()
    check('wrong password refused', false, 'connected')
} catch (e) {
    const text = String(e?.message ?? e)
    check('wrong password refused', text.includes('The user name or password is incorrect.'), text)
} finally {
    bad.disconnect()
}

process.exit(failures ? 1 : 0)
