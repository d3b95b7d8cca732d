-- Argo CD resource health of the NEXUS kinds, EngineIdentity and AccessPolicy (the same
-- rules serve both). Register it in argocd-cm under
--   resource.customizations.health.security.nexus.io_EngineIdentity
--   resource.customizations.health.security.nexus.io_AccessPolicy
-- Argo CD sets `obj` to the live object and reads the returned table.
--   Progressing: the operator has not yet reported on the current generation;
--   Healthy:     Ready=True for the current generation;
--   Degraded:    Ready=False, with the operator's reason and message.
local hs = { status = "Progressing", message = "waiting for the NEXUS operator to report status" }

local generation = nil
if obj.metadata ~= nil then generation = obj.metadata.generation end
local status = obj.status
if status == nil then return hs end

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.message = "the operator has not yet processed generation " .. tostring(generation)
  if status.observedGeneration ~= nil then
    hs.message = hs.message .. " (last processed: " .. tostring(status.observedGeneration) .. ")"
  end
  return hs
end

local ready = nil
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then ready = condition end
  end
end
if ready == nil then
  hs.message = "no Ready condition yet"
  return hs
end
if generation ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration < generation then
  hs.message = "Ready was last set for generation " .. tostring(ready.observedGeneration)
  return hs
end

local text = ready.message or ""
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = text
elseif ready.status == "False" then
  hs.status = "Degraded"
  if ready.reason ~= nil and ready.reason ~= "" then
    hs.message = ready.reason .. ": " .. text
  else
    hs.message = text
  end
else
  hs.message = "Ready is " .. tostring(ready.status) .. ": " .. text
end
return hs
