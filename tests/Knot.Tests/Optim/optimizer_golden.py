import torch
w0=[0.5,-1.0,2.0]; gs=[[0.1,-0.2,0.3],[0.05,0.4,-0.1],[-0.3,0.2,0.0]]
def run(make):
    p=torch.nn.Parameter(torch.tensor(w0,dtype=torch.float32)); o=make([p])
    for g in gs:
        p.grad=torch.tensor(g,dtype=torch.float32); o.step()
    return [float('%.9g'%v) for v in p.detach().tolist()]
print("sgd", run(lambda ps: torch.optim.SGD(ps,lr=0.1)))
print("sgd_mom_wd", run(lambda ps: torch.optim.SGD(ps,lr=0.1,momentum=0.9,weight_decay=0.01)))
print("sgd_nesterov", run(lambda ps: torch.optim.SGD(ps,lr=0.1,momentum=0.9,nesterov=True)))
print("adam", run(lambda ps: torch.optim.Adam(ps,lr=0.01)))
print("adam_wd", run(lambda ps: torch.optim.Adam(ps,lr=0.01,weight_decay=0.1)))
print("adamw", run(lambda ps: torch.optim.AdamW(ps,lr=0.01,weight_decay=0.1)))
