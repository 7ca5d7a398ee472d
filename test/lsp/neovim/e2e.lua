-- Neovim end to end: open a file, attach memhint's language server, check the diagnostic's
-- UTF-16 columns as received and where Neovim places it, apply the quick fix with Neovim's own
-- workspace-edit code, save. Works with Neovim 0.7 (vim.lsp.start_client) and later
-- (vim.lsp.start). Arguments come from the environment; the result is written as JSON.
-- Opening a Python file would otherwise probe for the Python provider (seconds, and irrelevant).
vim.g.loaded_python3_provider = 0

local file = os.getenv("MEMHINT_E2E_FILE")
local report_path = os.getenv("MEMHINT_E2E_REPORT")
local cmd = vim.fn.json_decode(os.getenv("MEMHINT_E2E_CMD"))
local report = { ok = false }

local client_id

local function finish()
  -- Stop the server ourselves: Neovim 0.7 otherwise waits seconds for it on :qa.
  if client_id then
    vim.lsp.stop_client(client_id)
    report.stopped = vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
  end
  local f = io.open(report_path, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()

  local raw = {}
  local default_handler = vim.lsp.handlers["textDocument/publishDiagnostics"]
  vim.lsp.handlers["textDocument/publishDiagnostics"] = function(e, result, ctx, config)
    if result and result.diagnostics and #result.diagnostics > 0 then raw = result.diagnostics end
    return default_handler(e, result, ctx, config)
  end

  local config = { name = "memhint", cmd = cmd, root_dir = vim.fn.fnamemodify(file, ":h") }
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  report.nvim = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) .. "." .. tostring(vim.version().patch)

  assert(vim.wait(20000, function() return #raw > 0 and #vim.diagnostic.get(bufnr) > 0 end, 50), "no diagnostics from memhint")
  local client = vim.lsp.get_client_by_id(client_id)
  report.offset_encoding = client.offset_encoding
  report.raw = raw
  report.placed = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(report.placed, { lnum = d.lnum, col = d.col, end_col = d.end_col, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code), source = d.source })
  end

  -- Apply the preferred quick fix of the diagnostic on the CJK line (line index 2).
  local target
  for _, d in ipairs(raw) do
    if d.range.start.line == 2 then target = d end
  end
  assert(target, "no diagnostic on the CJK line")
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = target.range,
    context = { diagnostics = { target } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  local fix
  for _, response in pairs(responses or {}) do
    for _, action in ipairs(response.result or {}) do
      if action.isPreferred and action.edit then fix = action end
    end
  end
  assert(fix, "no preferred quick fix")
  report.fix_title = fix.title
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
  vim.cmd("write")
  report.lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)

  -- After the change the server republishes: only the other line's finding remains.
  assert(vim.wait(20000, function()
    local ds = vim.diagnostic.get(bufnr)
    return #ds == 1 and ds[1].lnum == 3
  end, 50), "diagnostics were not updated after the fix")
  report.ok = true
end)
if not ok then report.error = tostring(err) end
finish()
